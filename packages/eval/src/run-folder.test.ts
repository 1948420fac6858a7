/**
 * runEval's output folder as a library user meets it: one writer at a time (also within one process), records
 * of unknown or mixed origin refused rather than resumed, and nothing claimed or lost by a refused run.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeGenerator } from "../test/fake-generator.js";
import { checkRunFolder, type EvalConfig, runEval } from "./run-eval.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const fresh = (): string => join(root, `run-${++count}`);

const config: EvalConfig = {
  benchmarks: ["gsm8k"],
  n: 2,
  limit: 4,
  sampling: { temperature: 0.6, maxNewTokens: 64 },
  seed: 3,
  bootstrap: { resamples: 20 },
  promptsPerCall: 1,
};

/** The folder's files and their contents. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

describe("runEval's output folder", () => {
  it("refuses a second call in the same process while the first writes the folder", async () => {
    const out = fresh();
    const first = runEval({ config, generator: fakeGenerator({ delayMs: 2 }), outDir: out });
    const second = runEval({ config, generator: fakeGenerator({ delayMs: 2 }), outDir: `${out}/.` });
    await expect(second).rejects.toThrow(
      `${out}/.: locked by another ssb-eval run in this process (${out}/eval.lock); wait for it to finish`,
    );
    const result = await first;
    expect(result.generated).toBe(8);
    expect(readFileSync(join(out, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(8);
    // Free again once the first has finished.
    expect((await runEval({ config, generator: fakeGenerator(), outDir: out })).resumed).toBe(8);
  });

  it("refuses a records file holding a sample twice, naming both lines, and changes nothing", async () => {
    const out = fresh();
    await runEval({ config, generator: fakeGenerator(), outDir: out, reports: false });
    const file = join(out, "records.jsonl");
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const other = { ...JSON.parse(lines[2] as string), text: "another run's reply" };
    writeFileSync(file, `${[...lines, JSON.stringify(other)].join("\n")}\n`);
    const before = snapshot(out);
    await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
      `${file}:9: sample gsm8k/line-2#0 is recorded twice (first on line 3)`,
    );
    expect(snapshot(out)).toEqual(before);
  });

  it("refuses records without a run.json (settings unknown) and writes no run.json", async () => {
    const out = fresh();
    await runEval({ config, generator: fakeGenerator(), outDir: out, reports: false });
    rmSync(join(out, "run.json"));
    const before = snapshot(out);
    const message = `${join(out, "records.jsonl")}: this folder holds records but no run.json, so the settings they were made with are unknown`;
    await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(message);
    // checkRunFolder (what the CLI asks before exporting a model into the folder) refuses it too.
    expect(() => checkRunFolder({ config, model: { modelId: "fake-model" }, outDir: out })).toThrow(message);
    expect(snapshot(out)).toEqual(before);
  });

  it("refuses records of another run before run.json is written, so the folder is not claimed", async () => {
    const out = fresh();
    mkdirSync(out);
    const foreign = {
      benchmark: "gsm8k",
      problemId: "line-99",
      sampleIndex: 0,
      gold: "1",
      text: "x",
      correct: false,
      tokens: 1,
      finishReason: "stop",
    };
    writeFileSync(join(out, "records.jsonl"), `${JSON.stringify(foreign)}\n`);
    writeFileSync(
      join(out, "run.json"),
      `${JSON.stringify({ format: "ssb-curation-run/1", settings: {} })}\n`,
    );
    await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
      `${join(out, "run.json")}: holds a run of another kind (format "ssb-curation-run/1"), not an ssb-eval run`,
    );
    rmSync(join(out, "run.json"));
    await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
      /holds records but no run\.json/,
    );
    expect(existsSync(join(out, "run.json"))).toBe(false);
  });

  it("refuses a folder holding a summary or reports but no run.json, which the run would replace", async () => {
    const out = fresh();
    mkdirSync(out);
    const curationSummary = `${JSON.stringify({ mode: "selection", problems: 3 })}\n`;
    writeFileSync(join(out, "summary.json"), curationSummary);
    await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
      `output folder ${out} holds summary.json but no run.json; this run would replace them`,
    );
    expect(snapshot(out)).toEqual({ "summary.json": curationSummary });
  });

  it("keeps a whole last record that lacks its newline, and resumes after it", async () => {
    const reference = fresh();
    await runEval({ config, generator: fakeGenerator(), outDir: reference });
    const out = fresh();
    await runEval({ config, generator: fakeGenerator(), outDir: out });
    const file = join(out, "records.jsonl");
    const lines = readFileSync(file, "utf8").trim().split("\n");
    writeFileSync(file, lines.slice(0, 5).join("\n")); // five whole records, the last without "\n"
    const gen = fakeGenerator();
    const result = await runEval({ config, generator: gen, outDir: out });
    expect(result.resumed).toBe(5);
    expect(result.generated).toBe(3);
    expect(result.repairedTail).toBe(false);
    expect(snapshot(out)).toEqual(snapshot(reference));
  });

  it("stops on an AbortSignal with every generated sample saved; the rerun finishes the same files", async () => {
    const reference = fresh();
    await runEval({ config, generator: fakeGenerator(), outDir: reference });
    const out = fresh();
    const controller = new AbortController();
    const stopped = runEval({
      config,
      generator: fakeGenerator(),
      outDir: out,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 3) controller.abort();
      },
    });
    await expect(stopped).rejects.toThrow(/aborted/);
    expect(readFileSync(join(out, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
    expect(existsSync(join(out, "eval.lock"))).toBe(false);
    const result = await runEval({ config, generator: fakeGenerator(), outDir: out });
    expect([result.resumed, result.generated, result.summary.benchmarks[0]?.problems]).toEqual([3, 5, 4]);
    expect(snapshot(out)).toEqual(snapshot(reference));
    // Aborted before it starts: nothing is made.
    const never = fresh();
    await expect(
      runEval({ config, generator: fakeGenerator(), outDir: never, signal: AbortSignal.abort() }),
    ).rejects.toThrow(/aborted/);
    expect(existsSync(never)).toBe(false);
  });

  // Root writes into a read-only folder anyway, so this runs only as another user (checked by hand as nobody).
  it.skipIf(process.getuid?.() === 0)(
    "refuses a read-only output folder before any work, naming it",
    async () => {
      const out = fresh();
      mkdirSync(out);
      chmodSync(out, 0o555);
      try {
        await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
          `output folder ${out} is not writable (EACCES`,
        );
        expect(readdirSync(out)).toEqual([]);
      } finally {
        chmodSync(out, 0o755);
      }
    },
  );

  it("refuses a bad last line that has its newline (not a torn write), naming it, and deletes nothing", async () => {
    const out = fresh();
    await runEval({ config, generator: fakeGenerator(), outDir: out, reports: false });
    const file = join(out, "records.jsonl");
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const edited = `${lines.slice(0, 3).join("\n")}\n${(lines[3] as string).slice(0, -1)}\n`; // a hand edit lost a "}"
    writeFileSync(file, edited);
    await expect(runEval({ config, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
      // The place is where the text stops: one past the last character left.
      `${file}:4:${(lines[3] as string).length}: not valid JSON`,
    );
    expect(readFileSync(file, "utf8")).toBe(edited);
  });

  it("refuses an output folder that is a file or under one, naming it", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "kept\n");
    await expect(runEval({ config, generator: fakeGenerator(), outDir: file })).rejects.toThrow(
      `output folder ${file} exists and is not a folder`,
    );
    await expect(runEval({ config, generator: fakeGenerator(), outDir: join(file, "x") })).rejects.toThrow(
      `cannot create output folder ${join(file, "x")} (${file} is a file, not a folder)`,
    );
    expect(readFileSync(file, "utf8")).toBe("kept\n");
  });
});
