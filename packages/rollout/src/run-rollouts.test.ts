/**
 * runRollouts as a job over an output that already holds records: what counts as the same job (and
 * resumes) and what is another one (and is refused before it mixes two runs), logit stores that do not
 * belong to the output, and stopping on an abort signal.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef, exportTwinLogitsModel } from "../test/fixtures.js";
import { Generator } from "./generator.js";
import type { ProblemPrompt } from "./problems-file.js";
import { MAX_JOB_PAIRS, type RolloutJobOptions, runRollouts } from "./run-rollouts.js";

let modelDir: string;
let twinDir: string;
let work: string;
let gen: Generator;

beforeAll(async () => {
  modelDir = await exportTinyRef();
  twinDir = await exportTwinLogitsModel();
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-job-"));
  gen = await Generator.load(modelDir, { modelId: "tiny" });
});

afterAll(async () => {
  await gen?.close();
  for (const d of [modelDir, twinDir, work]) await rm(d, { recursive: true, force: true });
});

const question = (id: string, q: string, system?: string): ProblemPrompt => ({
  id,
  messages: [...(system ? [{ role: "system", content: system }] : []), { role: "user", content: q }],
});
const PROBLEMS = ["1+1?", "2+3?", "7*6?", "10-4?", "9/3?"].map((q, i) => question(`p${i}`, q));
const SAMPLING = { temperature: 0.9, topK: 50, maxNewTokens: 12, seed: 5 };

let counter = 0;
const fresh = (name: string): string => path.join(work, `${counter++}-${name}`);
const job = (outFile: string, extra: Partial<RolloutJobOptions> = {}): RolloutJobOptions => ({
  generator: gen,
  problems: PROBLEMS,
  n: 2,
  sampling: SAMPLING,
  outFile,
  maxBatch: 4,
  ...extra,
});
const records = (file: string): Record<string, unknown>[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .sort((a, b) => `${a.problemId}#${a.sampleIndex}`.localeCompare(`${b.problemId}#${b.sampleIndex}`));

describe("runRollouts on an existing output", () => {
  it("refuses a job of more pairs than it can hold, naming n, before any file is made", async () => {
    const out = fresh("huge.jsonl");
    await expect(runRollouts(job(out, { n: 1e12 }))).rejects.toThrow(
      `n 1000000000000 x 5 problem(s) is more than the ${MAX_JOB_PAIRS} pairs one job takes; split the job`,
    );
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
  });

  it("counts only this job's pairs, and grows with a larger n without touching the samples already there", async () => {
    const out = fresh("grow.jsonl");
    const first = await runRollouts(job(out, { problems: PROBLEMS.slice(0, 3) }));
    expect(first).toMatchObject({ written: 6, skipped: 0, total: 6, interrupted: false });
    const subset = await runRollouts(job(out, { problems: PROBLEMS.slice(0, 1) }));
    expect(subset).toMatchObject({ written: 0, skipped: 2, total: 2 });
    const grown = await runRollouts(job(out, { n: 3 }));
    expect(grown).toMatchObject({ written: 15 - 6, skipped: 6, total: 15 });
    const reference = fresh("ref.jsonl");
    await runRollouts(job(reference, { n: 3 }));
    expect(records(out)).toEqual(records(reference));
    // Written by three jobs, the file still ends in canonical order: the reference's bytes.
    expect(readFileSync(out, "utf8")).toBe(readFileSync(reference, "utf8"));
    expect(JSON.parse(readFileSync(`${out}.settings.json`, "utf8")).n).toBe(3);
  });

  it("refuses problems whose prompt changed (another system prompt, or another file with the same ids)", async () => {
    const out = fresh("prompt.jsonl");
    await runRollouts(job(out));
    const system = PROBLEMS.map((p, i) =>
      question(p.id, ["1+1?", "2+3?", "7*6?", "10-4?", "9/3?"][i] as string, "Be brief."),
    );
    await expect(runRollouts(job(out, { problems: system }))).rejects.toThrow(
      /\d+-prompt\.jsonl:1: problem "p0" was sampled from another prompt than the one given now/,
    );
    const otherFile = [question("p0", "1+1?"), question("p1", "What is 3 squared?")];
    await expect(runRollouts(job(out, { problems: otherFile }))).rejects.toThrow(/problem "p1"/);
  });

  it("names every problem too long for the model's context before it writes anything", async () => {
    const out = fresh("long.jsonl");
    const long = (id: string, length: number) => ({ id, promptIds: Array.from({ length }, () => 5) });
    const problems = [long("fits", 511), long("a", 512), long("b", 600)];
    await expect(runRollouts(job(out, { problems }))).rejects.toThrow(
      /2 problem\(s\) do not fit in the model's context of 512 positions .*: "a" \(512 tokens\), "b" \(600 tokens\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("refuses another model with the same name, naming the setting that differs", async () => {
    const out = fresh("model.jsonl");
    const problems = [{ id: "ids", promptIds: [1, 2, 3, 4] }];
    await runRollouts(job(out, { problems }));
    const twin = await Generator.load(twinDir, { modelId: "tiny" });
    try {
      await expect(runRollouts(job(out, { generator: twin, problems }))).rejects.toThrow(
        /written with other settings[\s\S]*modelFingerprint: "[0-9a-f]+" -> "[0-9a-f]+"/,
      );
    } finally {
      await twin.close();
    }
  });
});

describe("runRollouts on another execution provider", () => {
  it("records the provider; a resume on another goes on, says so, and lists both; an older output resumes", async () => {
    const out = fresh("provider.jsonl");
    const settingsFile = `${out}.settings.json`;
    await runRollouts(job(out, { problems: PROBLEMS.slice(0, 1) }));
    const settings = JSON.parse(readFileSync(settingsFile, "utf8")) as Record<string, unknown>;
    expect(settings.executionProvider).toBe("cpu");
    // What a run on CUDA would have left: its records, and its provider in the settings. A resume on the CPU
    // (the GPU machine gone) keeps them, says what it means, and records both providers in order.
    writeFileSync(settingsFile, JSON.stringify({ ...settings, executionProvider: "cuda" }));
    const warnings: string[] = [];
    const resumed = await runRollouts(
      job(out, { problems: PROBLEMS.slice(0, 2), warn: (m: string) => warnings.push(m) }),
    );
    expect(resumed).toMatchObject({ written: 2, skipped: 2 });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^note: this output's records so far were generated on cuda, and this run is on cpu; .* resume with --ep cuda \(executionProvider in code or in ssb run's config\) or use a new --out\.$/,
      ),
    ]);
    expect(JSON.parse(readFileSync(settingsFile, "utf8")).executionProvider).toEqual(["cuda", "cpu"]);
    // On the same provider again: nothing to say, nothing added.
    warnings.length = 0;
    await runRollouts(job(out, { problems: PROBLEMS.slice(0, 2), warn: (m: string) => warnings.push(m) }));
    expect(warnings).toEqual([]);
    expect(JSON.parse(readFileSync(settingsFile, "utf8")).executionProvider).toEqual(["cuda", "cpu"]);
    // An output written before the provider was recorded resumes; its records so far came from a provider
    // nobody wrote down, so the list starts with "unknown" rather than claiming this run's for them.
    const { executionProvider: _, ...older } = settings;
    writeFileSync(settingsFile, JSON.stringify(older));
    expect(await runRollouts(job(out, { problems: PROBLEMS.slice(0, 3) }))).toMatchObject({
      written: 2,
      skipped: 4,
    });
    expect(JSON.parse(readFileSync(settingsFile, "utf8")).executionProvider).toEqual(["unknown", "cpu"]);
  });

  it("gives an older output that holds no records yet this run's provider alone", async () => {
    const out = fresh("provider-empty.jsonl");
    const settingsFile = `${out}.settings.json`;
    await runRollouts(job(out, { problems: PROBLEMS.slice(0, 1) }));
    const { executionProvider: _, ...older } = JSON.parse(readFileSync(settingsFile, "utf8")) as Record<
      string,
      unknown
    >;
    writeFileSync(settingsFile, JSON.stringify(older));
    writeFileSync(out, "");
    expect(await runRollouts(job(out, { problems: PROBLEMS.slice(0, 1) }))).toMatchObject({ written: 2 });
    expect(JSON.parse(readFileSync(settingsFile, "utf8")).executionProvider).toBe("cpu");
  });
});

describe("runRollouts with logit capture", () => {
  it("refuses a resume whose capture folder lacks the logits of the records already written", async () => {
    const out = fresh("cap.jsonl");
    const logits = fresh("logits");
    await runRollouts(job(out, { capture: { dir: logits }, problems: PROBLEMS.slice(0, 2) }));
    const missing = fresh("empty-logits");
    await expect(runRollouts(job(out, { capture: { dir: missing } }))).rejects.toThrow(
      /empty-logits: holds no logit store, but 4 record\(s\) of .*\d+-cap\.jsonl have their logits in one \(first: "p0#0"\); was --capture-logits given another folder/,
    );
    expect(existsSync(missing)).toBe(false); // the refusal created no empty store
  });

  it("refuses a resume pointed at another job's store without changing that store", async () => {
    const out = fresh("cap-other.jsonl");
    await runRollouts(job(out, { capture: { dir: fresh("logits") }, problems: PROBLEMS.slice(0, 2) }));
    const other = fresh("other-logits");
    await runRollouts(job(fresh("other.jsonl"), { capture: { dir: other }, problems: PROBLEMS.slice(3) }));
    // What a crashed writer leaves behind: a writer opened on the store would delete it and rewrite the journal.
    writeFileSync(path.join(other, "shard-000009.arrow.partial"), "half a shard");
    writeFileSync(path.join(other, "in-progress.jsonl"), '"p9#0"\n');
    const files = (): string[][] =>
      readdirSync(other).map((f) => [f, readFileSync(path.join(other, f)).toString("base64")]);
    const before = files();
    await expect(runRollouts(job(out, { capture: { dir: other } }))).rejects.toThrow(
      /other-logits: 4 record\(s\) of .*cap-other\.jsonl have no logits in this store \(first: "p0#0"\)/,
    );
    expect(files()).toEqual(before);
  });

  it("leaves no output behind when refused before its first record (a store held by another job)", async () => {
    const out = fresh("held-store.jsonl");
    const logits = fresh("held-logits");
    mkdirSync(logits, { recursive: true });
    writeFileSync(path.join(logits, "writer.lock"), String(process.ppid)); // another live writer
    await expect(runRollouts(job(out, { capture: { dir: logits } }))).rejects.toThrow(
      /locked by a running writer/,
    );
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
    rmSync(path.join(logits, "writer.lock"));
    // Another capture k is then a fresh job, not "other settings".
    await runRollouts(job(out, { capture: { dir: logits, k: 8 }, problems: PROBLEMS.slice(0, 1) }));
  });

  it("refuses a capture folder that holds something else, creating and changing nothing", async () => {
    const out = fresh("foreign.jsonl");
    const folder = fresh("my-run"); // say, the folder of another run, given by mistake
    mkdirSync(folder);
    writeFileSync(path.join(folder, "rollouts.jsonl"), "the user's\n");
    // Before: the store was written among the user's files (manifest, shards, journal and lock beside them).
    await expect(runRollouts(job(out, { capture: { dir: folder } }))).rejects.toThrow(
      /my-run: holds "rollouts\.jsonl" and no logit store \(manifest\.json\); the store would be written among them/,
    );
    expect(readdirSync(folder)).toEqual(["rollouts.jsonl"]);
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
    // The job's own output in the store's folder is not foreign (this layout worked before the check).
    const together = fresh("together");
    await runRollouts(
      job(path.join(together, "rollouts.jsonl"), {
        capture: { dir: together },
        problems: PROBLEMS.slice(0, 1),
      }),
    );
    const resumed = await runRollouts(
      job(path.join(together, "rollouts.jsonl"), {
        capture: { dir: together },
        problems: PROBLEMS.slice(0, 2),
      }),
    );
    expect(resumed).toMatchObject({ written: 2, skipped: 2 });
    // A store's own leftovers (a lock of a writer that died before its manifest) are not foreign.
    const crashed = fresh("crashed-logits");
    mkdirSync(crashed);
    writeFileSync(path.join(crashed, "writer.lock"), "999999999");
    await runRollouts(job(out, { capture: { dir: crashed }, problems: PROBLEMS.slice(0, 1) }));
  });

  it("refuses to link records to logits another job stored under the same keys", async () => {
    const logits = fresh("logits");
    await runRollouts(job(fresh("seed5.jsonl"), { capture: { dir: logits } }));
    const copy = fresh("logits-copy");
    cpSync(logits, copy, { recursive: true });
    const other = { ...SAMPLING, seed: 6 };
    await expect(
      runRollouts(job(fresh("seed6.jsonl"), { sampling: other, capture: { dir: copy } })),
    ).rejects.toThrow(/example "p\d#\d" holds other tokens than this run sampled for it/);
  });

  it("re-samples without capture a pair whose logits were stored but whose record was not", async () => {
    const out = fresh("lost.jsonl");
    const logits = fresh("logits");
    await runRollouts(job(out, { capture: { dir: logits } }));
    const all = readFileSync(out, "utf8");
    // As if the job died after the store's flush and before the records were written.
    const kept = all.split("\n").filter(Boolean).slice(0, 4);
    rmSync(out);
    cpSync(`${out}.settings.json`, `${out}.keep`);
    const settings = readFileSync(`${out}.keep`, "utf8");
    rmSync(`${out}.keep`);
    writeFileSync(out, `${kept.join("\n")}\n`);
    writeFileSync(`${out}.settings.json`, settings);
    const summary = await runRollouts(job(out, { capture: { dir: logits } }));
    expect(summary).toMatchObject({ written: 6, skipped: 4 });
    expect(records(out).map((r) => r.tokenIds)).toEqual(
      all
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .sort((a, b) => `${a.problemId}#${a.sampleIndex}`.localeCompare(`${b.problemId}#${b.sampleIndex}`))
        .map((r) => r.tokenIds),
    );
  });
});

describe("runRollouts sharing or repairing its output", () => {
  it("refuses a second job on an output another job of this process is writing, and the first is whole", async () => {
    const out = fresh("twice.jsonl");
    // Two jobs at once in one process (another n, so their records differ): before, both took the output and
    // wrote at the same offsets, each reporting 10 or 15 records written while the file held a mix.
    const results = await Promise.allSettled([runRollouts(job(out)), runRollouts(job(out, { n: 3 }))]);
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
      /twice\.jsonl: locked by another rollout job in this process/,
    );
    const done = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<
      Awaited<ReturnType<typeof runRollouts>>
    >;
    const reference = fresh("twice-ref.jsonl");
    await runRollouts(job(reference, { n: done.value.total / PROBLEMS.length }));
    expect(readFileSync(out, "utf8")).toBe(readFileSync(reference, "utf8"));
    expect(done.value.written).toBe(records(out).length);
  });

  it("refuses repeated problem ids, naming both, before any file is made", async () => {
    const out = fresh("repeated.jsonl");
    const problems = [PROBLEMS[0]!, PROBLEMS[1]!, PROBLEMS[0]!];
    await expect(runRollouts(job(out, { problems }))).rejects.toThrow(
      'problem id "p0" appears twice (problems[0] and problems[2]); ids must be unique',
    );
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
  });

  it("refuses promptIds outside the vocabulary, naming the problem's line or index, before any file is made", async () => {
    const out = fresh("vocab.jsonl");
    const problems = [
      { id: "ok", promptIds: [1, 2] },
      { id: "far", promptIds: [3, 256] },
    ];
    await expect(runRollouts(job(out, { problems }))).rejects.toThrow(
      'problems[1]: problem "far": promptIds[1] is 256, not a token of the model (its vocabulary is ids 0 to 255)',
    );
    await expect(
      runRollouts(job(out, { problems: [{ ...problems[1]!, where: "p.jsonl:7" }] })),
    ).rejects.toThrow(/^p\.jsonl:7: problem "far": promptIds\[1\] is 256/);
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
  });

  it("drops a torn last line, says so naming the line, and redoes its pair with the logits already stored", async () => {
    const out = fresh("torn.jsonl");
    const logits = fresh("logits");
    await runRollouts(job(out, { capture: { dir: logits }, n: 1 }));
    const whole = readFileSync(out, "utf8");
    const lastStart = whole.lastIndexOf("\n", whole.length - 2) + 1;
    writeFileSync(out, whole.slice(0, lastStart + 40)); // killed 40 bytes into the last record
    const warnings: string[] = [];
    const summary = await runRollouts(
      job(out, { capture: { dir: logits }, n: 1, warn: (m) => warnings.push(m) }),
    );
    expect(warnings).toEqual([
      `${out}:5: dropped a torn last line (40 bytes without a newline: a record cut off when a run stopped mid-write); its pair is generated again`,
    ]);
    expect(summary).toMatchObject({ written: 1, skipped: 4, total: 5, interrupted: false });
    expect(readFileSync(out, "utf8")).toBe(whole);
  });
});

describe("runRollouts stopped by its signal", () => {
  it("leaves no files when stopped before its first record, so another job may then take the output", async () => {
    const out = fresh("stopped-at-once.jsonl");
    const stop = new AbortController();
    stop.abort();
    const summary = await runRollouts(job(out, { signal: stop.signal }));
    expect(summary).toMatchObject({ written: 0, skipped: 0, total: 10, interrupted: true });
    // Before: an empty output and its settings stayed, and a rerun with other settings was "other settings".
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
    await runRollouts(job(out, { sampling: { ...SAMPLING, seed: 9 }, problems: PROBLEMS.slice(0, 1) }));
  });

  it("with capture, removes the store it had just created when stopped before its first record", async () => {
    const out = fresh("stopped-capture.jsonl");
    const logits = path.join(fresh("run"), "logits");
    const stop = new AbortController();
    stop.abort();
    await runRollouts(job(out, { capture: { dir: logits }, signal: stop.signal }));
    // Before: logits/ stayed holding an empty store, whose k 20 then refused the rerun below.
    expect(existsSync(path.dirname(logits))).toBe(false);
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
    const rerun = await runRollouts(
      job(out, { capture: { dir: logits, k: 8 }, problems: PROBLEMS.slice(0, 1) }),
    );
    expect(rerun).toMatchObject({ written: 2, interrupted: false });
    // A resume stopped before its first new record leaves the store it found (and the output) as they were.
    const files = (dir: string): string[][] =>
      readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f)).toString("base64")]);
    const before = [files(logits), readFileSync(out, "utf8")];
    await runRollouts(job(out, { capture: { dir: logits, k: 8 }, signal: stop.signal }));
    expect([files(logits), readFileSync(out, "utf8")]).toEqual(before);
  });

  it("saves what finished, reports the job as interrupted, and a rerun completes it", async () => {
    const out = fresh("abort.jsonl");
    const logits = fresh("logits");
    const stop = new AbortController();
    const first = await runRollouts(
      job(out, {
        capture: { dir: logits },
        flushEvery: 64,
        maxBatch: 2,
        onProgress: (p) => {
          if (p.finishedSequences >= 3) stop.abort();
        },
        signal: stop.signal,
      }),
    );
    expect(first.interrupted).toBe(true);
    expect(first.written).toBeGreaterThanOrEqual(3);
    expect(first.written).toBeLessThan(10);
    // Held records (flushEvery 64) were saved on the way out, with their logits.
    expect(records(out)).toHaveLength(first.written);
    const rest = await runRollouts(job(out, { capture: { dir: logits } }));
    expect(rest).toMatchObject({ written: 10 - first.written, skipped: first.written, interrupted: false });
    const reference = fresh("abort-ref.jsonl");
    await runRollouts(job(reference));
    const strip = (r: Record<string, unknown>) => ({ ...r, logitKey: undefined });
    expect(records(out).map(strip)).toEqual(records(reference).map(strip));
  });
});
