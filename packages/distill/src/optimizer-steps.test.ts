/**
 * What one optimizer step is, end to end through train(), against transformers' Trainer: gradient
 * accumulation against one large batch (the loss is a weighted sum over the step's reply rows with weights
 * computed for the whole step, reduction.ts, so batch 4 x accumulation 1 and batch 1 x accumulation 4 take
 * the same steps on replies of different lengths), and the warmup length of the schedule.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureModel, maxAbs, maxAbsDiff } from "../test/fixture.js";
import { selectBackend } from "./backend.js";
import { splitStep } from "./data-parallel.js";
import { toPeftLayout } from "./lora.js";
import { baseTensors, type DecoderModel, trainableVariables } from "./model.js";
import { createRng } from "./rng.js";
import { resolveTrainConfig, type TrainConfigInput } from "./train-config.js";
import { stepGradients, stepRowWeights } from "./train-step.js";
import { train } from "./trainer.js";
import { exampleFromPromptAndReply, type TrainingExample } from "./training-example.js";

beforeAll(async () => {
  await selectBackend("wasm", () => {});
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Host copies of every base weight, by HF name. */
function baseTensorValues(model: DecoderModel): Map<string, Float32Array> {
  return new Map([...baseTensors(model)].map(([name, t]) => [name, Float32Array.from(t.dataSync())]));
}

/** Eight KD examples with prompts of 2..9 tokens and replies of 2..15 tokens, random teacher top-4 rows. */
function examples(): TrainingExample[] {
  const rng = createRng(1, "accumulation");
  const k = 4;
  return [3, 9, 5, 14, 2, 11, 7, 15].map((n, e) => {
    const id = () => Math.floor(rng.next() * 256);
    const topkIds = Int32Array.from({ length: n * k }, id);
    const topkLogits = Float32Array.from({ length: n * k }, (_, i) => 3 - (i % k) + rng.next());
    return exampleFromPromptAndReply(
      `e${e}`,
      Array.from({ length: 2 + e }, id),
      Array.from({ length: n }, id),
      { k, topkIds, topkLogits, logSumExp: new Float32Array(n).fill(6) },
    );
  });
}

/** The trained LoRA tensors (PEFT layout) and the per-step losses of one run. */
async function trained(
  settings: TrainConfigInput,
): Promise<{ weights: Map<string, Float32Array>; losses: number[]; lrs: number[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "distill-accum-"));
  dirs.push(dir);
  const model = await fixtureModel(false);
  const losses: number[] = [];
  const lrs: number[] = [];
  await train({
    model,
    examples: examples(),
    config: resolveTrainConfig({
      epochs: 2,
      lora: { r: 4, alpha: 8 },
      optimizer: { lr: 1e-2 },
      checkpointEvery: 0,
      ...settings,
    }),
    outDir: dir,
    progress: false,
    log: () => {},
    onStep: (m) => {
      losses.push(m.loss);
      lrs.push(m.lr);
    },
  });
  const weights = new Map<string, Float32Array>();
  for (const [name, layer] of model.lora) {
    weights.set(`${name}.A`, toPeftLayout(layer.aT));
    weights.set(`${name}.B`, toPeftLayout(layer.bT));
  }
  return { weights, losses, lrs };
}

describe("gradient accumulation", () => {
  for (const reduction of ["token", "sequence"] as const) {
    it(`batch 1 x accumulation 4 trains the adapter of batch 4 x accumulation 1 (${reduction} mean, bucketed)`, async () => {
      const big = await trained({ batchSize: 4, gradAccumSteps: 1, loss: { reduction } });
      const accumulated = await trained({ batchSize: 1, gradAccumSteps: 4, loss: { reduction } });
      expect(accumulated.losses.length).toBe(4);
      for (const [i, loss] of accumulated.losses.entries())
        expect(loss).toBeCloseTo(big.losses[i] as number, 4);
      // Adam divides by sqrt(v): float rounding in near-zero gradients moves a weight by up to ~1e-3 of the
      // largest (the 2-thread test's tolerance).
      for (const [name, values] of big.weights)
        expect(maxAbsDiff(values, accumulated.weights.get(name) as Float32Array), name).toBeLessThan(
          1e-3 * Math.max(1e-3, maxAbs(values)),
        );
    }, 60_000);
  }
});

describe("LoRA dropout", () => {
  it("draws each example's masks by (seed, step, example), so the batch split and the threads do not change them", async () => {
    // The fixture's adapter (B != 0), so dropout moves the gradients. One step's examples as one batch of 4,
    // four micro-batches of 1, and two data-parallel shares of a 2 x 2 split: one gradient.
    const model = await fixtureModel(true);
    // The layers' dropout is the adapter's (0 in the fixture's); set per call below.
    const vars = trainableVariables(model);
    const config = resolveTrainConfig({ lora: { r: 4, alpha: 8, dropout: 0.3 } });
    const ex = examples().slice(0, 4);
    const gradients = (
      groups: TrainingExample[][],
      weights: Float32Array,
      dropout = true,
    ): Float32Array[] => {
      for (const layer of model.lora.values()) layer.dropout = dropout ? 0.3 : 0;
      const result = stepGradients(model, vars, groups, weights, config, 7);
      const out = result.grads.map((g) => Float32Array.from(g.dataSync()));
      for (const g of result.grads) g.dispose();
      return out;
    };
    const whole = gradients([ex], stepRowWeights([ex], config));
    const single = gradients(
      ex.map((e) => [e]),
      stepRowWeights([ex], config),
    );
    const split = [
      [0, 1],
      [2, 3],
    ];
    const shares = splitStep(
      split,
      (i) => (ex[i] as TrainingExample).targets.length,
      stepRowWeights([ex], config),
      2,
    ).map((share) =>
      gradients(
        share.microBatches.map((ids) => ids.map((i) => ex[i] as TrainingExample)),
        share.weights,
      ),
    );
    const noDropout = gradients([ex], stepRowWeights([ex], config), false);
    let moved = 0;
    whole.forEach((g, j) => {
      const scale = Math.max(1e-6, maxAbs(g));
      expect(maxAbsDiff(g, single[j] as Float32Array)).toBeLessThan(1e-5 * scale);
      const summed = Float32Array.from(g, (_, i) => (shares[0]?.[j]?.[i] ?? 0) + (shares[1]?.[j]?.[i] ?? 0));
      expect(maxAbsDiff(g, summed)).toBeLessThan(1e-5 * scale);
      moved = Math.max(moved, maxAbsDiff(g, noDropout[j] as Float32Array) / scale);
    });
    expect(moved).toBeGreaterThan(0.01); // the masks are applied
  });
});

describe("schedule", () => {
  it("a warmup ratio rounds up to whole steps, as transformers' get_warmup_steps (ceil)", async () => {
    // 8 examples x 3 epochs at batch 1: 24 steps; 0.1 x 24 = 2.4 -> 3 warmup steps (lr 0, 1/3, 2/3 of the peak).
    const { lrs } = await trained({ batchSize: 1, epochs: 3, optimizer: { lr: 1e-2, warmupRatio: 0.1 } });
    expect(lrs.length).toBe(24);
    const expected = [0, 1 / 3, 2 / 3, 1];
    for (const [i, lr] of lrs.slice(0, 4).entries()) expect(lr / 1e-2).toBeCloseTo(expected[i] as number, 12);
  }, 60_000);
});

describe("weight decay", () => {
  it("full-parameter training decays weight matrices but not biases or norm weights, as transformers' Trainer", async () => {
    // One step from the same start, with and without decay: a decayed weight ends lr x wd x (its start)
    // below the undecayed one; an exempt one ends equal.
    const lr = 0.1;
    const weightDecay = 0.5;
    const start = baseTensorValues(await fixtureModel(false, "full"));
    const step = async (wd: number) => {
      const dir = mkdtempSync(path.join(tmpdir(), "distill-decay-"));
      dirs.push(dir);
      const model = await fixtureModel(false, "full");
      const config = resolveTrainConfig({
        trainable: "full",
        maxSteps: 1,
        checkpointEvery: 0,
        optimizer: { lr, weightDecay: wd, schedule: "constant" },
      });
      await train({ model, examples: examples(), config, outDir: dir, progress: false, log: () => {} });
      return baseTensorValues(model);
    };
    const plain = await step(0);
    const decayed = await step(weightDecay);
    const exempt: string[] = [];
    for (const [name, before] of start) {
      const a = plain.get(name) as Float32Array;
      const b = decayed.get(name) as Float32Array;
      const shift = Float32Array.from(a, (x, i) => x - lr * weightDecay * (before[i] as number));
      if (name.endsWith(".bias") || name.includes("norm")) {
        exempt.push(name);
        expect(maxAbsDiff(a, b), name).toBe(0);
      } else expect(maxAbsDiff(shift, b), name).toBeLessThan(1e-6 * Math.max(1, maxAbs(before)));
    }
    // Per layer: input and post-attention norm, q/k/v biases; and the final norm.
    expect(exempt.length).toBe(2 * 5 + 1);
  }, 60_000);
});
