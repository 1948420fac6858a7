/**
 * run.json records the @ssb/verifier version that graded its records. A resume under another version regrades
 * the records already there from their stored replies (one verifier's verdicts per run); a run.json from before
 * versions were recorded resumes as it did, with a note.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { fakeGenerator } from "../test/fake-generator.js";
import { main } from "./cli-main.js";
import { type EvalConfig, runEval } from "./run-eval.js";
import type { SampleRecord } from "./types.js";
import { installedVerifierVersion } from "./verifier-version.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-verifier-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const verifierPackage = JSON.parse(
  readFileSync(join(pkgDir, "node_modules", "@ssb", "verifier", "package.json"), "utf8"),
) as { version: string };

const config: EvalConfig = {
  benchmarks: ["gsm8k"],
  n: 2,
  limit: 6,
  sampling: { temperature: 0.6, maxNewTokens: 64 },
  seed: 3,
  bootstrap: { resamples: 50 },
};

const read = (file: string): string => readFileSync(file, "utf8");
const recordsOf = (out: string): SampleRecord[] =>
  read(join(out, "records.jsonl"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SampleRecord);

/** Run until `stopAfter` samples are saved (then abort), or to the end; the notes it gives. */
async function run(out: string, stopAfter?: number): Promise<string[]> {
  const notes: string[] = [];
  const stop = new AbortController();
  const done = runEval({
    config,
    generator: fakeGenerator({ accuracy: 0.7 }),
    outDir: out,
    reports: false,
    signal: stop.signal,
    warn: (m) => notes.push(m),
    onProgress: (p) => {
      if (stopAfter !== undefined && p.done - p.resumed >= stopAfter) stop.abort();
    },
  });
  if (stopAfter !== undefined) await expect(done).rejects.toThrow();
  else await done;
  return notes;
}

/**
 * What an older verifier left: run.json naming `version` (none when undefined), and its verdicts on the saved
 * records, here every correct one turned wrong.
 */
function gradedByAnother(out: string, version: string | undefined): void {
  const runFile = join(out, "run.json");
  const recorded = JSON.parse(read(runFile)) as Record<string, unknown>;
  const { verifierVersion: _, ...rest } = recorded;
  // In its place (spread keeps a key's position), as a run under that version wrote it.
  const manifest = version === undefined ? rest : { ...recorded, verifierVersion: version };
  writeFileSync(runFile, `${JSON.stringify(manifest, null, 2)}\n`);
  const stale = recordsOf(out).map((r) => (r.correct ? { ...r, correct: false, verdict: "wrong" } : r));
  writeFileSync(join(out, "records.jsonl"), stale.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

describe("the verifier version in run.json", () => {
  it("is the version of the @ssb/verifier eval imports, recorded by a new run", async () => {
    expect(installedVerifierVersion()).toBe(verifierPackage.version);
    const out = join(root, "new");
    await run(out);
    expect((JSON.parse(read(join(out, "run.json"))) as { verifierVersion?: string }).verifierVersion).toBe(
      verifierPackage.version,
    );
  });

  it("a resume under another version regrades the saved records from their replies, says so, and records its own", async () => {
    const whole = join(root, "whole");
    await run(whole);
    const out = join(root, "regraded");
    await run(out, 5);
    gradedByAnother(out, "0.0.1");
    const stale = recordsOf(out).filter((r) => r.verdict === "wrong").length;
    const notes = await run(out);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      new RegExp(
        `^ssb-eval: note: the 5 records in .*records\\.jsonl were graded by @ssb/verifier 0\\.0\\.1 and this is ${verifierPackage.version.replaceAll(".", "\\.")}; regraded them from their stored replies \\(\\d+ changed verdict or answer\\), and run\\.json now records`,
      ),
    );
    expect(stale).toBeGreaterThan(0);
    // Every verdict is this verifier's: the files are those of a run that never stopped.
    expect(read(join(out, "records.jsonl"))).toBe(read(join(whole, "records.jsonl")));
    expect(read(join(out, "run.json"))).toBe(read(join(whole, "run.json")));
    // A second resume (same version now) has nothing to say.
    expect(await run(out)).toEqual([]);
  });

  it("rerunning a finished run under another version regrades it and rewrites its summary", async () => {
    const out = join(root, "finished");
    await runEval({ config, generator: fakeGenerator({ accuracy: 0.7 }), outDir: out, warn: () => {} });
    const files = ["records.jsonl", "summary.json", "report.md", "run.json"];
    const before = files.map((f) => read(join(out, f)));
    gradedByAnother(out, "0.0.1");
    expect(read(join(out, "records.jsonl"))).not.toBe(before[0]);
    const notes: string[] = [];
    const again = await runEval({
      config,
      generator: fakeGenerator({ accuracy: 0.7 }),
      outDir: out,
      warn: (m) => notes.push(m),
    });
    expect(again.generated).toBe(0);
    expect(notes.join("\n")).toMatch(/the 12 records .* were graded by @ssb\/verifier 0\.0\.1/);
    expect(files.map((f) => read(join(out, f)))).toEqual(before);
  });

  it("a run.json without a version resumes as before: records kept as graded, run.json as it was, one note", async () => {
    const out = join(root, "old");
    await run(out, 5);
    gradedByAnother(out, undefined);
    const before = read(join(out, "run.json"));
    const kept = recordsOf(out);
    const notes = await run(out);
    expect(notes).toEqual([
      `ssb-eval: note: ${join(out, "run.json")} records no verifier version (written before runs recorded it); the 5 records in records.jsonl are kept as graded then (a new --out grades every sample with this @ssb/verifier ${verifierPackage.version})`,
    ]);
    expect(read(join(out, "run.json"))).toBe(before);
    const after = recordsOf(out);
    expect(after).toHaveLength(12);
    // The saved records are the ones it had, old verdicts and all.
    for (const r of kept)
      expect(after.find((a) => a.problemId === r.problemId && a.sampleIndex === r.sampleIndex)).toEqual(r);
  });

  it("compare notes two runs graded by different verifier versions", async () => {
    const older = join(root, "older");
    cpSync(join(root, "whole"), older, { recursive: true });
    gradedByAnother(older, "0.0.1");
    const err: string[] = [];
    const io = { stdout: { write: () => {} }, stderr: { write: (m: string) => err.push(m) } };
    expect(await main(["compare", older, join(root, "whole")], io)).toBe(0);
    expect(err.join("")).toContain(
      `note: A and B differ in verifierVersion "0.0.1" vs "${verifierPackage.version}"; the difference is not the models' alone`,
    );
  });
});
