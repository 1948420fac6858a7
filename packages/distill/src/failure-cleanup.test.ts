/**
 * What training allocates is freed: the tensors variables start from, the optimizer's moments when a run fails
 * after its claim, the worker threads when a step throws.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildSyntheticKd, type SyntheticKd } from "../test/synthetic.js";
import { AdamW } from "./adamw.js";
import { selectBackend } from "./backend.js";
import { DataParallelPool } from "./data-parallel.js";
import { initLora, loraConfigFrom, loraFromAdapter, loraToAdapter } from "./lora.js";
import { disposeDecoder, loadDecoder, type Trainable, trainableVariables } from "./model.js";
import { type RunTrainingOptions, runTraining } from "./run-training.js";
import { tf } from "./tf.js";
import { resolveTrainConfig, type TrainConfigInput } from "./train-config.js";

let dir: string;
let data: SyntheticKd;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-cleanup-"));
  data = await buildSyntheticKd(dir, { embedScale: 4 });
  await selectBackend("wasm", () => {});
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (outDir: string, extra: Partial<RunTrainingOptions> = {}, config: TrainConfigInput = {}) =>
  runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    logitsDir: data.logitsDir,
    outDir,
    config: resolveTrainConfig({
      promptMode: "raw",
      epochs: 1,
      batchSize: 4,
      lora: { r: 2, alpha: 2 },
      ...config,
    }),
    backend: "wasm",
    progress: false,
    log: () => {},
    ...extra,
  });

async function load(trainable: Trainable) {
  const checkpoint = await loadCheckpoint(data.modelDir);
  const model = await loadDecoder(
    checkpoint.config,
    (n) => checkpoint.weights.readFloat32(n),
    (n) => checkpoint.weights.has(n),
    trainable,
  );
  await checkpoint.close();
  return model;
}

describe("tensors and threads a run allocates are freed", () => {
  it("a full-parameter model, a LoRA and AdamW keep no tensor once disposed", async () => {
    const before = tf.memory().numTensors;
    const full = await load("full");
    new AdamW(trainableVariables(full)).dispose();
    disposeDecoder(full);
    // Each variable's starting tensor stayed: the loaded weights and two zero moments per parameter, alive
    // beside the trained values after the first update (three times a full model's size).
    expect(tf.memory().numTensors).toBe(before);

    const lora = await load("lora");
    const config = loraConfigFrom({ r: 2, alpha: 2 });
    lora.lora = initLora(lora.config, config, 0);
    const copy = loraFromAdapter(lora.config, loraToAdapter(lora.lora, config));
    for (const layer of copy.values()) for (const t of [layer.aT, layer.bT]) t.dispose();
    disposeDecoder(lora);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a resume stopped by a damaged metrics line leaves no tensor behind", async () => {
    const out = path.join(dir, "damaged");
    await run(out);
    const metrics = path.join(out, "metrics.jsonl");
    writeFileSync(metrics, `garbage\n${readFileSync(metrics, "utf8")}`);
    const before = tf.memory().numTensors;
    await expect(run(out, { resume: true })).rejects.toThrow(`${metrics}:1:1: not a metrics record`);
    // The AdamW moments stayed allocated after the throw.
    expect(tf.memory().numTensors).toBe(before);
  });

  it("an error mid-run with worker threads stops them", async () => {
    const close = vi.spyOn(DataParallelPool.prototype, "close");
    const failing = () => {
      throw new Error("onStep failed");
    };
    await expect(run(path.join(dir, "workers"), { onStep: failing }, { workers: 2 })).rejects.toThrow(
      "onStep failed",
    );
    // The pool was left open: its worker thread (a wasm instance and a model copy) went on running.
    expect(close).toHaveBeenCalledTimes(1);
    close.mockRestore();
  });
});
