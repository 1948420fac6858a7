/** Which backend trained which steps: kept in trainer_state.json, a resume on another backend logged. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSyntheticKd, type SyntheticKd } from "../test/synthetic.js";
import { activeBackendName, type BackendPreference, selectBackend } from "./backend.js";
import { backendChangeNote, withBackendSpan } from "./backend-record.js";
import { runTraining } from "./run-training.js";
import { tf } from "./tf.js";
import { latestCheckpoint } from "./train-checkpoint.js";
import { resolveTrainConfig } from "./train-config.js";

let dir: string;
let data: SyntheticKd;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-backends-"));
  data = await buildSyntheticKd(dir, { embedScale: 4 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 4-step run on `backend`, stopped after `stopAfter` steps when given; returns its log lines. */
async function run(
  outDir: string,
  backend: BackendPreference,
  resume: boolean,
  stopAfter?: number,
  workers = 1,
): Promise<string[]> {
  const lines: string[] = [];
  const stop = new AbortController();
  await runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    logitsDir: data.logitsDir,
    outDir,
    config: resolveTrainConfig({
      promptMode: "raw",
      epochs: 2,
      batchSize: 4,
      lora: { r: 2, alpha: 2 },
      workers,
    }),
    resume,
    backend,
    progress: false,
    log: (line) => lines.push(line),
    signal: stop.signal,
    onStep: (m) => {
      if (m.step === stopAfter) stop.abort();
    },
  });
  return lines;
}

async function storedBackends(outDir: string): Promise<unknown> {
  return (await latestCheckpoint(path.join(outDir, "checkpoints")))?.state.backends;
}

describe("activeBackendName (what train() records when not told)", () => {
  it("is the package selectBackend chose while tfjs runs it, else tfjs' own name", async () => {
    await selectBackend("wasm", () => {});
    expect(activeBackendName()).toBe("wasm");
    await tf.setBackend("cpu"); // set by other means: tfjs' name
    expect(activeBackendName()).toBe("cpu");
    await selectBackend("wasm", () => {});
  });
});

describe("the backend that trained each step", () => {
  it("spans: one per backend change, extended while the backend stays", () => {
    let spans = withBackendSpan([], "wasm", 1, 4);
    spans = withBackendSpan(spans, "wasm", 5, 6);
    expect(spans).toEqual([{ backend: "wasm", firstStep: 1, lastStep: 6 }]);
    spans = withBackendSpan(spans, "tfjs-node", 7, 7);
    expect(withBackendSpan(spans, "cpu", 8, 7)).toEqual(spans); // no step trained: nothing added
    expect(backendChangeNote(spans, "tfjs-node", "step")).toBeNull();
    expect(backendChangeNote(spans, "cpu", "step")).toBe(
      "resuming on cpu where tfjs-node trained the checkpoint's last step (steps 1-6 on wasm, 7-7 on tfjs-node); allowed, the results differ from a run on one backend in rounding only",
    );
  });

  it("a resume on another backend goes on, says so naming both, and the checkpoint records which steps ran where", async () => {
    const out = path.join(dir, "switched");
    await run(out, "wasm", false, 2);
    expect(await storedBackends(out)).toEqual([{ backend: "wasm", firstStep: 1, lastStep: 2 }]);
    const lines = await run(out, "cpu", true);
    expect(lines).toContain(
      "[distill] resuming on cpu where wasm trained the checkpoint's last step (steps 1-2 on wasm); allowed, the results differ from a run on one backend in rounding only",
    );
    expect(await storedBackends(out)).toEqual([
      { backend: "wasm", firstStep: 1, lastStep: 2 },
      { backend: "cpu", firstStep: 3, lastStep: 4 },
    ]);
  }, 120_000);

  it("with worker threads (always wasm) beside a main thread on another backend, records both", async () => {
    const out = path.join(dir, "workers");
    await run(out, "cpu", false, undefined, 2);
    expect(await storedBackends(out)).toEqual([
      { backend: "cpu + 1 wasm worker", firstStep: 1, lastStep: 4 },
    ]);
  }, 120_000);

  it("a checkpoint written before the record existed resumes; the record holds the steps since", async () => {
    const out = path.join(dir, "older");
    await run(out, "wasm", false, 2);
    const newest = await latestCheckpoint(path.join(out, "checkpoints"));
    const file = path.join(newest?.dir as string, "trainer_state.json");
    const { backends: _b, ...older } = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify(older, null, 2)}\n`);
    const lines = await run(out, "wasm", true);
    expect(lines.filter((l) => l.includes("resuming on"))).toEqual([]);
    expect(await storedBackends(out)).toEqual([{ backend: "wasm", firstStep: 3, lastStep: 4 }]);
  }, 120_000);
});
