import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AdamW } from "./adamw.js";
import { selectBackend } from "./backend.js";
import { collate, planSteps } from "./batching.js";
import { isTargetModule } from "./lora.js";
import { lossCurveSvg } from "./metrics.js";
import { readJsonl } from "./pairs-data.js";
import { learningRate } from "./schedule.js";
import { resolveTrainConfig } from "./train-config.js";
import { exampleFromPromptAndReply } from "./training-example.js";

beforeAll(async () => {
  await selectBackend("wasm", () => {});
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("schedule", () => {
  it("linear and cosine decay after warmup", () => {
    const o = { peakLr: 1, totalSteps: 10, warmupSteps: 2 };
    expect(learningRate(0, { ...o, kind: "linear" })).toBe(0);
    expect(learningRate(1, { ...o, kind: "linear" })).toBe(0.5);
    expect(learningRate(2, { ...o, kind: "linear" })).toBe(1);
    expect(learningRate(6, { ...o, kind: "linear" })).toBeCloseTo(0.5);
    expect(learningRate(6, { ...o, kind: "cosine" })).toBeCloseTo(0.5);
    expect(learningRate(10, { ...o, kind: "cosine" })).toBeCloseTo(0);
    expect(learningRate(5, { ...o, kind: "constant" })).toBe(1);
  });
});

describe("AdamW", () => {
  it("matches torch.optim.AdamW on a scalar (decoupled decay, bias correction)", () => {
    const p = tf.variable(tf.scalar(1));
    const opt = new AdamW([p], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    opt.apply([tf.scalar(0.5)], 0.1);
    // step 1: p = 1 * (1 - 0.01) - 0.1 * (0.05 / 0.1) / (sqrt(0.00025 / 0.001) + 1e-8) = 0.99 - 0.1
    expect(p.dataSync()[0]).toBeCloseTo(0.89, 6);
    opt.apply([tf.scalar(0.5)], 0.1);
    expect(p.dataSync()[0]).toBeCloseTo(0.89 * 0.99 - 0.1, 5);
  });
});

describe("batching", () => {
  it("is seeded, covers every example once per epoch, and groups micro-batches into steps", () => {
    const lengths = [5, 9, 3, 7, 11, 2, 8, 4, 6, 10];
    const options = { batchSize: 2, gradAccumSteps: 2, epochs: 2, seed: 3, bucketByLength: true };
    const a = planSteps(lengths, options);
    expect(planSteps(lengths, options)).toEqual(a);
    expect(planSteps(lengths, { ...options, seed: 4 })).not.toEqual(a);
    expect(a.length).toBe(6); // 5 micro-batches per epoch -> 3 steps per epoch
    const epoch0 = a.filter((s) => s.epoch === 0).flatMap((s) => s.microBatches.flat());
    expect([...epoch0].sort((x, y) => x - y)).toEqual(lengths.map((_, i) => i));
  });

  it("collates right-padded batches with reply rows and targets", () => {
    const e1 = exampleFromPromptAndReply("a", [1, 2, 3], [4, 5], null);
    const e2 = exampleFromPromptAndReply("b", [1], [6, 7, 8], null);
    expect(Array.from(e1.inputIds)).toEqual([1, 2, 3, 4]);
    const batch = collate([e1, e2], 0);
    expect(batch.input.length).toBe(4);
    expect(batch.rows).toEqual([
      { batch: 0, start: 2, length: 2 },
      { batch: 1, start: 0, length: 3 },
    ]);
    expect(Array.from(batch.targets)).toEqual([4, 5, 6, 7, 8]);
    expect(Array.from(batch.input.attentionMask ?? [])).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
  });
});

describe("config and inputs", () => {
  it("defaults are the paper's; bad fields are named", () => {
    const c = resolveTrainConfig();
    expect([c.lora.r, c.lora.alpha, c.loss.temperature, c.optimizer.lr, c.batchSize, c.epochs]).toEqual([
      32, 32, 2, 2e-4, 4, 3,
    ]);
    expect(() => resolveTrainConfig({ loss: { divergence: "kl" as never } })).toThrow(/loss.divergence/);
    expect(() => resolveTrainConfig({ optimizer: { lrr: 1 } as never })).toThrow(
      /unknown field "optimizer.lrr"/,
    );
    expect(resolveTrainConfig({ mode: "sft" }).loss.kdWeight).toBe(0);
    // Values that tfjs would reject steps in, or that would end in a non-finite loss, are named up front.
    expect(() => resolveTrainConfig({ lora: { r: 0 } })).toThrow(
      /"lora\.r" must be an integer >= 1, found 0/,
    );
    expect(() => resolveTrainConfig({ lora: { r: 2.5 } })).toThrow(/"lora\.r"/);
    expect(() => resolveTrainConfig({ lora: { dropout: 1.5 } })).toThrow(
      /"lora\.dropout" must be in \[0, 1\)/,
    );
    expect(() => resolveTrainConfig({ optimizer: { beta2: 2 } as never })).toThrow(/"optimizer\.beta2"/);
    expect(() => resolveTrainConfig({ seed: 1.5 })).toThrow(/"seed" must be an integer/);
  });

  it("PEFT target-module matching", () => {
    expect(isTargetModule(["q_proj"], "model.layers.0.self_attn.q_proj")).toBe(true);
    expect(isTargetModule(["proj"], "model.layers.0.self_attn.q_proj")).toBe(false);
    expect(isTargetModule(".*\\.(q|v)_proj", "model.layers.3.self_attn.v_proj")).toBe(true);
  });

  it("JSONL errors name the file and line", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-jsonl-"));
    dirs.push(dir);
    const file = path.join(dir, "pairs.jsonl");
    writeFileSync(file, '{"a": 1}\n{oops\n');
    await expect(readJsonl(file)).rejects.toThrow(/pairs.jsonl:2: invalid JSON/);
  });

  it("the loss curve is an SVG with one polyline per series", () => {
    const svg = lossCurveSvg(
      [1, 2, 3].map((step) => ({
        step,
        epoch: 1,
        loss: 4 - step,
        kl: null,
        ce: null,
        gradNorm: 1,
        lr: 1,
        tokensPerSec: 1,
        rows: 1,
        elapsedSec: 1,
      })),
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
  });
});
