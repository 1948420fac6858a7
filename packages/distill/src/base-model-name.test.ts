/**
 * base_model_name_or_path across a resume: a train() resume given no baseModelName keeps the name the run's
 * first session recorded (it saved null from then on); one given another name records it, with a note.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSyntheticKd, loadBase, loadSyntheticExamples, type SyntheticKd } from "../test/synthetic.js";
import { chooseBaseModelName } from "./base-model-name.js";
import { disposeDecoder } from "./model.js";
import { runTraining } from "./run-training.js";
import { resolveTrainConfig, type TrainConfigInput } from "./train-config.js";
import { type TrainOptions, train } from "./trainer.js";
import type { TrainingExample } from "./training-example.js";

let dir: string;
let data: SyntheticKd;
let examples: TrainingExample[];
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-base-name-"));
  data = await buildSyntheticKd(dir, { embedScale: 4, examples: 4, replyLength: 6 });
  examples = await loadSyntheticExamples(data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 4 examples in batches of 2: 2 steps an epoch, 6 steps; a checkpoint every 2.
const settings: TrainConfigInput = {
  promptMode: "raw",
  epochs: 3,
  batchSize: 2,
  lora: { r: 4, alpha: 4 },
  checkpointEvery: 2,
};

/** runTraining (which names the base model by its folder) stopped after step 2. */
async function stoppedAtStep2(out: string): Promise<void> {
  const stop = new AbortController();
  const result = await runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    logitsDir: data.logitsDir,
    outDir: path.join(dir, out),
    config: resolveTrainConfig(settings),
    backend: "wasm",
    progress: false,
    log: () => {},
    signal: stop.signal,
    onStep: (m) => m.step === 2 && stop.abort(),
  });
  expect(result.interrupted).toBe(true);
}

/** train() resuming `out` on the same examples, with `extra` options. */
async function resumeDirect(out: string, extra: Partial<TrainOptions>): Promise<void> {
  const model = await loadBase(data.modelDir);
  try {
    const result = await train({
      model,
      examples,
      config: resolveTrainConfig(settings),
      outDir: path.join(dir, out),
      resume: true,
      progress: false,
      log: () => {},
      ...extra,
    });
    expect(result).toMatchObject({ resumedFrom: 2, steps: 6, interrupted: false });
  } finally {
    disposeDecoder(model);
  }
}

/** base_model_name_or_path of each checkpoint's adapter and of the final one. */
function recordedNames(out: string): (string | null)[] {
  const read = (adapter: string): string | null =>
    JSON.parse(readFileSync(path.join(adapter, "adapter_config.json"), "utf8")).base_model_name_or_path;
  const checkpoints = path.join(dir, out, "checkpoints");
  return [
    ...readdirSync(checkpoints)
      .sort()
      .map((name) => read(path.join(checkpoints, name, "adapter"))),
    read(path.join(dir, out, "adapter")),
  ];
}

describe("base_model_name_or_path on a train() resume", () => {
  it("given no baseModelName, keeps the recorded one in later checkpoints and the final adapter", async () => {
    await stoppedAtStep2("kept");
    await resumeDirect("kept", {});
    // keepCheckpoints 2: steps 4 and 6, both saved by the resumed session (they held null).
    expect(recordedNames("kept")).toEqual([data.modelDir, data.modelDir, data.modelDir]);
  }, 120_000);

  it("given another name, records it from then on and says so in the log", async () => {
    await stoppedAtStep2("moved");
    const lines: string[] = [];
    await resumeDirect("moved", { baseModelName: "models/student", log: (line) => lines.push(line) });
    expect(recordedNames("moved")).toEqual(["models/student", "models/student", "models/student"]);
    const file = path.join(dir, "moved", "checkpoints", "step-00000002", "adapter", "adapter_config.json");
    expect(lines).toContain(
      `[distill] note: ${file} names the base model ${JSON.stringify(data.modelDir)} (base_model_name_or_path); this session's adapters name "models/student" (baseModelName), as given. Allowed: the name says where the base model is, not what it holds (its weights are compared: inputs.baseWeights)`,
    );
  }, 120_000);
});

describe("chooseBaseModelName", () => {
  it("takes the given name on a fresh start, and none from a checkpoint without an adapter (full-parameter)", async () => {
    expect(await chooseBaseModelName("m", null)).toEqual({ name: "m", note: null });
    expect(await chooseBaseModelName(undefined, null)).toEqual({ name: null, note: null });
    const full = path.join(dir, "full-ck");
    mkdirSync(full, { recursive: true });
    expect(await chooseBaseModelName(undefined, full)).toEqual({ name: null, note: null });
    expect(await chooseBaseModelName(null, full)).toEqual({ name: null, note: null });
  });

  it("names a damaged adapter_config.json rather than saving null over it", async () => {
    const ck = path.join(dir, "bad-ck");
    mkdirSync(path.join(ck, "adapter"), { recursive: true });
    const file = path.join(ck, "adapter", "adapter_config.json");
    writeFileSync(file, '{"r": 4,');
    await expect(chooseBaseModelName(undefined, ck)).rejects.toThrow(file);
  });
});
