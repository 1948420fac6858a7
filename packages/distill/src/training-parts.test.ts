import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fixtureModel } from "../test/fixture.js";
import { AdamW } from "./adamw.js";
import { selectBackend } from "./backend.js";
import { collate, planSteps } from "./batching.js";
import { checkLoraRank, initLora, isTargetModule, loraConfigFrom } from "./lora.js";
import { describeTruncation, lossCurveSvg, readMetrics, truncateMetrics } from "./metrics.js";
import { readJsonl } from "./pairs-data.js";
import { qwen2Config } from "./random-weights.js";
import { seedFrom } from "./rng.js";
import { learningRate, warmupStepsFor } from "./schedule.js";
import { tf } from "./tf.js";
import { resolveTrainConfig } from "./train-config.js";
import { train } from "./trainer.js";
import { exampleFromPromptAndReply, truncateExample } from "./training-example.js";

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

  it("warmup steps from a ratio round up, as transformers' get_warmup_steps (ceil)", () => {
    expect(warmupStepsFor(24, 0, 0.1)).toBe(3); // 2.4: transformers warms up for 3 steps
    expect(warmupStepsFor(1250, 0, 0.03)).toBe(38);
    expect(warmupStepsFor(24, 5, 0.1)).toBe(5); // warmupSteps wins when set
    expect(warmupStepsFor(24, 0, 0)).toBe(0);
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

  it("puts the same examples in each step for batch 4 x accumulation 1, 2 x 2 and 1 x 4, bucketed by step", () => {
    const lengths = [30, 12, 50, 7, 22, 41, 9, 18, 33, 25, 14, 60];
    const stepSets = (batchSize: number, gradAccumSteps: number, bucketByLength: boolean): number[][] =>
      planSteps(lengths, { batchSize, gradAccumSteps, epochs: 2, seed: 0, bucketByLength }).map((s) => {
        expect(s.microBatches.every((m) => m.length === batchSize)).toBe(true);
        return s.microBatches.flat().sort((a, b) => a - b);
      });
    for (const bucketByLength of [false, true]) {
      const reference = stepSets(4, 1, bucketByLength);
      expect(stepSets(1, 4, bucketByLength)).toEqual(reference);
      expect(stepSets(2, 2, bucketByLength)).toEqual(reference);
    }
    // Bucketed at 1 x 4 (one window holds the epoch): each step holds four neighbours in length order, as
    // transformers' LengthGroupedSampler(train_batch_size * gradient_accumulation_steps) groups them.
    const sorted = lengths.map((_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number));
    const neighbours = [0, 4, 8].map((at) =>
      sorted
        .slice(at, at + 4)
        .sort((a, b) => a - b)
        .join(","),
    );
    for (const step of stepSets(1, 4, true)) expect(neighbours).toContain(step.join(","));
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

describe("maxLength", () => {
  it("keeps the first maxLength tokens of prompt + reply, as TRL's max_length, with their teacher rows", () => {
    const teacher = {
      k: 2,
      topkIds: Int32Array.from({ length: 10 }, (_, i) => i),
      topkLogits: Float32Array.from({ length: 10 }, (_, i) => -i),
      logSumExp: Float32Array.from([0, 1, 2, 3, 4]),
    };
    const e = exampleFromPromptAndReply("e", [1, 2, 3], [4, 5, 6, 7, 8], teacher); // 3 + 5 = 8 tokens
    expect(truncateExample(e, 8)).toBe(e);
    const cut = truncateExample(e, 6); // prompt 3 + reply 3
    expect(Array.from(cut.targets)).toEqual([4, 5, 6]);
    expect(Array.from(cut.inputIds)).toEqual([1, 2, 3, 4, 5]); // the last kept reply token is a target only
    expect(cut.firstRow).toBe(2);
    expect(Array.from(cut.teacher?.logSumExp ?? [])).toEqual([0, 1, 2]);
    expect(Array.from(cut.teacher?.topkIds ?? [])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => truncateExample(e, 3)).toThrow(
      "example e: the prompt alone (3 tokens) fills maxLength 3, leaving no reply token to train",
    );
  });
});

describe("continuing from a loaded adapter", () => {
  it("train() refuses LoRA layers of another rank or scale than config.lora, and takes the config's dropout", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-continue-"));
    dirs.push(dir);
    const examples = [0, 1].map((e) =>
      exampleFromPromptAndReply(`e${e}`, [1, 2 + e], [10 + e, 11, 12], null),
    );
    const run = async (lora: { r: number; alpha: number; dropout?: number }, out: string) => {
      const model = await fixtureModel(true); // its adapter: r 4, alpha 8 (scale 2)
      const config = resolveTrainConfig({ mode: "sft", lora, maxSteps: 1, checkpointEvery: 0 });
      await train({ model, examples, config, outDir: path.join(dir, out), progress: false, log: () => {} });
      return model;
    };
    await expect(run({ r: 32, alpha: 32 }, "a")).rejects.toThrow(
      /^the model's LoRA layers do not match the config \(model\.layers\.\d\.\w+\.\w+ has r 4, lora\.r is 32\); the adapter would be saved with settings it was not trained with/,
    );
    // Same rank, another alpha: the adapter would be saved as alpha 16 (scale 4) after training at scale 2.
    await expect(run({ r: 4, alpha: 16 }, "b")).rejects.toThrow(
      /model\.layers\.\d\.\w+\.\w+ is scaled by 2, lora\.alpha and lora\.useRslora give 4/,
    );
    const model = await run({ r: 4, alpha: 8, dropout: 0.1 }, "c");
    expect([...model.lora.values()].every((layer) => layer.dropout === 0.1)).toBe(true);
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

  it("seeds: refuses one above 2^53 - 1 (no longer the integer written), naming the field, the source and the range", () => {
    const range = /field "seed" must be an integer in \[0, 9007199254740991\] \(2\^53 - 1\)/;
    expect(() => resolveTrainConfig({ seed: 2 ** 53 }, "run.json")).toThrow(/^run\.json: /);
    expect(() => resolveTrainConfig({ seed: 2 ** 53 })).toThrow(range);
    // JSON.parse reads 9007199254740993 as 2^53: the value written is not the one that would be used.
    expect(() => resolveTrainConfig(JSON.parse('{"seed": 9007199254740993}'))).toThrow(range);
    expect(() => resolveTrainConfig({ seed: 0.5 })).toThrow(range);
    expect(resolveTrainConfig({ seed: 2 ** 53 - 1 }).seed).toBe(2 ** 53 - 1);
  });

  it("seeds that differ only above bit 32 draw different streams; those below keep theirs", () => {
    expect(seedFrom(2 ** 32)).not.toBe(seedFrom(0));
    expect(seedFrom(2 ** 40 + 5, "x")).not.toBe(seedFrom(5, "x"));
    // Seeds below 2^32 are hashed as before (trajectories of existing runs, and their resumes, unchanged).
    expect(seedFrom(7, "lora_A", 3)).toBe(434251794);
  });

  it("refuses a LoRA rank above min(in_features, out_features) of an adapted projection, before allocating", () => {
    // The fixture-sized model: hidden 64, 4 heads / 2 KV heads of 16 (k_proj and v_proj are [32 x 64]).
    const model = qwen2Config({ hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 256 });
    const settings = { r: 100000, alpha: 16 };
    expect(() => checkLoraRank(model, loraConfigFrom(settings), "run.json")).toThrow(
      'run.json: field "lora.r" is 100000, more than min(in_features, out_features) = 32 of model.layers.0.self_attn.k_proj [32 x 64]; use lora.r <= 32',
    );
    expect(() => initLora(model, loraConfigFrom(settings), 0)).toThrow(/field "lora\.r" is 100000/);
    expect(() => checkLoraRank(model, loraConfigFrom({ r: 32, alpha: 16 }), "run.json")).not.toThrow();
    // Only the adapted projections count: without k/v, 64 fits.
    const qo = loraConfigFrom({ r: 64, alpha: 16, targetModules: ["q_proj", "o_proj"] });
    expect(() => checkLoraRank(model, qo, "run.json")).not.toThrow();
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
    await expect(readJsonl(file)).rejects.toThrow(/pairs.jsonl:2:\d+: not valid JSON/);
  });

  it("JSONL: a leading byte-order mark (Windows editors) is skipped, not read as part of line 1", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-jsonl-"));
    dirs.push(dir);
    const file = path.join(dir, "pairs.jsonl");
    writeFileSync(file, '\uFEFF{"a": 1}\r\n{"a": 2}\n');
    expect((await readJsonl(file)).map((r) => [r.line, r.record.a])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it("metrics.jsonl with a byte-order mark: line 1 is read, and kept by a resume's truncation", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-metrics-"));
    dirs.push(dir);
    const file = path.join(dir, "metrics.jsonl");
    writeFileSync(file, '\uFEFF{"step":1,"loss":2}\n{"step":2,"loss":1}\n{"step":3,"loss":0.5}\n');
    expect(readMetrics(file).map((m) => m.step)).toEqual([1, 2, 3]);
    truncateMetrics(file, 2);
    expect(readMetrics(file).map((m) => m.step)).toEqual([1, 2]);
  });

  it("a resume's truncation drops a torn last line and says so; another unreadable line is refused, file kept", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-metrics-"));
    dirs.push(dir);
    const file = path.join(dir, "metrics.jsonl");
    writeFileSync(file, '{"step":1,"loss":2}\n{"step":2,"loss":1}\n{"step":3,"loss":0.5}\n{"step":4,"lo');
    expect(truncateMetrics(file, 2)).toEqual({
      kept: 2,
      dropped: 1,
      tornLine: 4,
      missing: [],
      last: { step: 2, loss: 1 },
    });
    expect(readFileSync(file, "utf8")).toBe('{"step":1,"loss":2}\n{"step":2,"loss":1}\n');
    expect(describeTruncation(file, 2, truncateMetrics(file, 2))).toEqual([]);

    // A damaged line before the end is not a kill's torn write: silently dropped, it was a lost record.
    const damaged = '{"step":1,"loss":2}\n{"step":2,"lo\n{"step":3,"loss":0.5}\n';
    writeFileSync(file, damaged);
    expect(() => truncateMetrics(file, 3)).toThrow(`${file}:2:14: not a metrics record (`);
    expect(() => readMetrics(file)).toThrow(`${file}:2:14: not a metrics record (`);
    writeFileSync(file, '{"step":1,"loss":2}\n{"loss":1}\n');
    expect(() => truncateMetrics(file, 3)).toThrow(`${file}:2: a metrics record without an integer "step"`);
    writeFileSync(file, damaged);
    expect(() => truncateMetrics(file, 3)).toThrow();
    expect(readFileSync(file, "utf8")).toBe(damaged);

    // A whole last record that lacks only its newline is kept (and ended), not taken for a torn one.
    writeFileSync(file, '\uFEFF{"step":1,"loss":2}\n{"step":2,"loss":1}');
    expect(truncateMetrics(file, 2)).toMatchObject({ kept: 2, tornLine: null, last: { step: 2 } });
    expect(readFileSync(file, "utf8")).toBe('{"step":1,"loss":2}\n{"step":2,"loss":1}\n');

    // Steps the checkpoint holds but no line does are named, not silently skipped.
    writeFileSync(file, '{"step":1,"loss":2}\n{"step":3,"loss":0.5}\n');
    const cut = truncateMetrics(file, 3);
    expect(cut.missing).toEqual([2]);
    expect(describeTruncation(file, 3, cut)).toEqual([
      `${file}: no record of step 2 (of 1..3, which the checkpoint holds); they are not redone`,
    ]);
  });

  it("the loss curve is an SVG with one polyline per series", () => {
    const metrics = (steps: number[]) =>
      steps.map((step) => ({
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
      }));
    const svg = lossCurveSvg(metrics([1, 2, 3]));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    // Steps are whole numbers: the axis reads 1, 2, 3 (it read 1.00, 1.50, 2.00, 2.50, 3.00).
    const xLabels = (plot: string): string[] =>
      [...plot.matchAll(/<text x="[\d.]+" y="330" text-anchor="middle">([^<]*)<\/text>/g)].map(
        (m) => m[1] ?? "",
      );
    expect(xLabels(svg)).toEqual(["1", "2", "3"]);
    // One step: one tick and a dot (five ticks read 1.00, and a one-point polyline drew nothing).
    const one = lossCurveSvg(metrics([1]));
    expect(xLabels(one)).toEqual(["1"]);
    expect(one.match(/<circle/g)?.length).toBe(2);
  });
});
