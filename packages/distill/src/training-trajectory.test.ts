/**
 * Training, not one gradient, against the real libraries: distill's `train()` runs several optimizer steps on
 * the tiny reference (dropout 0) with everything the step does switched on (warmup, then linear, cosine or
 * cosine-to-a-floor decay, clipping that triggers on some steps, weight decay, accumulation 2 over micro-batches
 * of unequal token counts, batch 2 with right padding, an epoch's short last step), and
 * python/check_trajectory.py trains the same weights on the same micro-batches in float64 with transformers'
 * own `Trainer` (its AdamW, schedule, clip_grad_norm_ and num_items_in_batch loss normalisation) and TRL's
 * `SFTTrainer`: KD and SFT on a LoRA (PEFT's model of `Qwen2ForCausalLM`), and full-parameter SFT. After every
 * step the trained tensors, the loss, the learning rate and the gradient norm are compared. Needs a python
 * with torch, transformers, peft, trl and datasets (SSB_PYTHON); without one (CI) the tests are skipped and
 * their names say why. `SSB_REPORT=1` prints the per-step differences.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { peftKey } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR, fixtureModel, maxAbsDiff } from "../test/fixture.js";
import { selectBackend } from "./backend.js";
import { planSteps } from "./batching.js";
import { disposeLora, initLora, type LoraSettings, loraConfigFrom, toPeftLayout } from "./lora.js";
import type { StepMetrics } from "./metrics.js";
import { baseTensors, type DecoderModel, weightDecayMask } from "./model.js";
import { createRng } from "./rng.js";
import { saveLoraAdapter } from "./save-model.js";
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from "./train-config.js";
import { train } from "./trainer.js";
import { exampleFromPromptAndReply, type TeacherRows, type TrainingExample } from "./training-example.js";

const SCRIPT = path.join(import.meta.dirname, "..", "python", "check_trajectory.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

/** Why the check cannot run here, or undefined when it can. */
function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, transformers, peft, trl, datasets"], {
    encoding: "utf8",
  });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch, transformers, peft, trl and datasets: ${r.stderr.trim().split("\n").pop()}`;
  // The script uses transformers 5's TrainingArguments (train_sampling_strategy, warmup_steps as a ratio).
  const v = spawnSync(PYTHON, ["-c", "import transformers; print(transformers.__version__)"], {
    encoding: "utf8",
  });
  const version = v.stdout.trim();
  if (!(Number.parseInt(version, 10) >= 5)) return `${PYTHON} has transformers ${version}, not 5.x`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing
  ? ` (skipped: ${missing}; set SSB_PYTHON to a python with torch, transformers 5, peft, trl and datasets)`
  : "";

const V = 256;
const K = 8;
const T = 2;

/**
 * `count` examples of varied prompt (2-6) and reply (3-9) lengths, so micro-batches pad and the two of a step
 * hold unequal token counts; each reply row has a teacher top-k led by the reply token.
 */
function syntheticExamples(count: number, seed: number): TrainingExample[] {
  const rng = createRng(seed, "trajectory-data");
  const token = () => 1 + rng.int(V - 1);
  return Array.from({ length: count }, (_, i) => {
    const prompt = Array.from({ length: 2 + rng.int(5) }, token);
    const reply = Array.from({ length: 3 + rng.int(7) }, token);
    const topkIds = new Int32Array(reply.length * K);
    const topkLogits = new Float32Array(reply.length * K);
    const logSumExp = new Float32Array(reply.length);
    reply.forEach((id, r) => {
      const ids = new Set([id]);
      while (ids.size < K) ids.add(token());
      let logit = 2 + 3 * rng.next();
      [...ids].forEach((v, j) => {
        topkIds[r * K + j] = v;
        topkLogits[r * K + j] = Math.fround(logit);
        logit -= 0.1 + rng.next();
      });
      logSumExp[r] = Math.fround((topkLogits[r * K] as number) + 1);
    });
    const teacher: TeacherRows = { k: K, topkIds, topkLogits, logSumExp };
    return exampleFromPromptAndReply(`e${i}`, prompt, reply, teacher);
  });
}

interface Case {
  name: string;
  /** What the case exercises, for the test name. */
  what: string;
  /** Continue from the fixture's trained adapter (B != 0), a fresh PEFT init (B = 0), or train every weight. */
  start: "fixture-adapter" | "fresh" | "full";
  lora: LoraSettings;
  config: TrainConfigInput;
  examples: number;
  /** Who trains it on the python side: transformers' Trainer, and for SFT also TRL's SFTTrainer. */
  trainers: ("trainer" | "sft_trainer")[];
  /** TrainingArguments fields for the same settings. */
  args: Record<string, number | string | Record<string, number>>;
}

const FULL_MAX_NORM = 2.4;

const COMMON = {
  epochs: 1,
  batchSize: 2,
  gradAccumSteps: 2,
  checkpointEvery: 0,
  seed: 5,
} as const;

const CASES: Case[] = [
  {
    name: "kd",
    what: "KD (top-8, T 2, x T^2) from the fixture's adapter, linear decay after 2 warmup steps",
    start: "fixture-adapter",
    lora: { r: 4, alpha: 8, dropout: 0 },
    config: {
      ...COMMON,
      mode: "kd",
      // A plain shuffle puts the short step last, where the Trainer's chunking of the micro-batches puts it
      // (bucketing shuffles the steps, the short one included).
      bucketByLength: false,
      loss: { temperature: T },
      optimizer: { lr: 1e-2, schedule: "linear", warmupSteps: 2, maxGradNorm: 0.5, weightDecay: 0.1 },
    },
    // 26 examples at 2 x 2: six steps of two micro-batches, then one of a single micro-batch.
    examples: 26,
    trainers: ["trainer"],
    args: {
      learning_rate: 1e-2,
      lr_scheduler_type: "linear",
      warmup_steps: 2,
      max_grad_norm: 0.5,
      weight_decay: 0.1,
    },
  },
  {
    name: "sft",
    what: "SFT (cross-entropy on the reply) from a fresh init, cosine decay after a warmup ratio of 0.2",
    start: "fresh",
    lora: {
      r: 2,
      alpha: 4,
      dropout: 0,
      targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"],
    },
    config: {
      ...COMMON,
      mode: "sft",
      // Length bucketing on (the default): 24 examples make six full steps, in the order the plan shuffled.
      optimizer: { lr: 1e-2, schedule: "cosine", warmupRatio: 0.2, maxGradNorm: 0.3, weightDecay: 0.05 },
    },
    examples: 24,
    trainers: ["trainer", "sft_trainer"],
    args: {
      learning_rate: 1e-2,
      lr_scheduler_type: "cosine",
      warmup_steps: 0.2,
      max_grad_norm: 0.3,
      weight_decay: 0.05,
    },
  },
  {
    name: "full",
    what: "full-parameter SFT (every weight, the embedding tied to the head; decay on the matrices, not on biases or norms), cosine to 0.1 x peak after 1 warmup step",
    start: "full",
    lora: { r: 2, alpha: 4 }, // unused: every weight trains
    config: {
      ...COMMON,
      mode: "sft",
      trainable: "full",
      optimizer: {
        lr: 1e-2,
        schedule: "cosine",
        warmupSteps: 1,
        minLrRatio: 0.1,
        maxGradNorm: FULL_MAX_NORM,
        weightDecay: 0.1,
      },
    },
    examples: 24,
    trainers: ["trainer"],
    args: {
      learning_rate: 1e-2,
      lr_scheduler_type: "cosine_with_min_lr",
      lr_scheduler_kwargs: { min_lr_rate: 0.1 },
      warmup_steps: 1,
      max_grad_norm: FULL_MAX_NORM,
      weight_decay: 0.1,
    },
  },
];

interface PyStep {
  loss: number;
  micro_losses: number[];
  lr: number;
  logged_lr: number;
  grad_norm: number;
  num_items: number[];
  weights: Record<string, number[][]>;
}
interface PyCase {
  info: Record<string, unknown>;
  steps: PyStep[];
}
interface PyResult {
  versions: Record<string, string>;
  cases: Record<string, PyCase>;
}

interface OurRun {
  config: TrainConfig;
  metrics: StepMetrics[];
  /**
   * LoRA tensors in PEFT's layout (keys as PEFT saves them), or every weight in HF's layout and names
   * (full-parameter), after each step.
   */
  weights: Map<string, Float32Array>[];
  initial: Map<string, Float32Array>;
  /** The keys of `weights` that weight decay applies to. */
  decayed: string[];
  /** Micro-batches per step, as the trainer planned them. */
  plan: TrainingExample[][][];
}

function snapshot(model: DecoderModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  if (model.trainable === "full") {
    // Projections are stored transposed ([in, out]); HF's weight is [out, in].
    for (const [name, t] of baseTensors(model))
      out.set(name, name.endsWith("_proj.weight") ? toPeftLayout(t) : (t.dataSync() as Float32Array).slice());
    return out;
  }
  for (const layer of model.lora.values()) {
    out.set(peftKey(layer.modulePath, "A"), toPeftLayout(layer.aT));
    out.set(peftKey(layer.modulePath, "B"), toPeftLayout(layer.bT));
  }
  return out;
}

let dir: string;
let py: PyResult;
const runs = new Map<string, OurRun>();

async function runOurs(c: Case): Promise<{ run: OurRun; adapterDir: string | null }> {
  const examples = syntheticExamples(c.examples, 11);
  const config = resolveTrainConfig({ ...c.config, lora: c.lora });
  const model = await fixtureModel(c.start === "fixture-adapter", c.start === "full" ? "full" : "lora");
  let adapterDir: string | null = c.start === "full" ? null : path.join(FIXTURE_DIR, "lora");
  let initial = snapshot(model);
  if (c.start === "fresh") {
    // The init train() draws (same function, same seed), saved for PEFT; then removed so train() inits itself.
    const loraConfig = loraConfigFrom(config.lora);
    model.lora = initLora(model.config, loraConfig, config.seed);
    adapterDir = await saveLoraAdapter(path.join(dir, `${c.name}-init`), model, loraConfig);
    initial = snapshot(model);
    disposeLora(model.lora);
    model.lora = new Map();
  }
  const plan = planSteps(
    examples.map((e) => e.inputIds.length),
    config,
  ).map((s) => s.microBatches.map((ids) => ids.map((i) => examples[i] as TrainingExample)));
  const metrics: StepMetrics[] = [];
  const weights: Map<string, Float32Array>[] = [];
  let decayed: string[] = [];
  await train({
    model,
    examples,
    config,
    outDir: path.join(dir, c.name),
    progress: false,
    log: () => {},
    onStep: (m) => {
      if (metrics.length === 0) {
        // The optimizer's decay mask, aligned with its variables (the LoRA layers exist once train() started).
        const names = [...snapshot(model).keys()];
        decayed = names.filter((_, i) => weightDecayMask(model)[i]);
      }
      metrics.push(m);
      weights.push(snapshot(model));
    },
  });
  return { run: { config, metrics, weights, initial, decayed, plan }, adapterDir };
}

/** A sequence as the HF side takes it: prompt + the whole reply, and the teacher rows of the reply tokens. */
function hfSequence(e: TrainingExample) {
  const promptLen = e.firstRow + 1;
  const ids = [...Array.from(e.inputIds.subarray(0, promptLen)), ...Array.from(e.targets)];
  const t = e.teacher as TeacherRows;
  const rows = (a: ArrayLike<number>) =>
    Array.from({ length: e.targets.length }, (_, r) => Array.from(a).slice(r * K, (r + 1) * K));
  // SFT examples carry teacher rows too (unused there), so every case sends them.
  return { ids, prompt_len: promptLen, topk_ids: rows(t.topkIds), topk_logits: rows(t.topkLogits) };
}

beforeAll(async () => {
  if (missing) return;
  await selectBackend("wasm", () => {});
  dir = mkdtempSync(path.join(tmpdir(), "distill-trajectory-"));
  const requestCases = [];
  for (const c of CASES) {
    const { run, adapterDir } = await runOurs(c);
    runs.set(c.name, run);
    for (const trainer of c.trainers)
      requestCases.push({
        name: `${c.name}/${trainer}`,
        trainer,
        mode: c.config.mode,
        adapter: adapterDir,
        temperature: T,
        batch_size: COMMON.batchSize,
        micro_batches: run.plan.flat().map((mb) => mb.map(hfSequence)),
        args: { ...c.args, gradient_accumulation_steps: COMMON.gradAccumSteps, seed: COMMON.seed },
      });
  }
  writeFileSync(path.join(dir, "request.json"), JSON.stringify({ base: FIXTURE_DIR, cases: requestCases }));
  const resultFile = path.join(dir, "result.json");
  const r = spawnSync(PYTHON, [SCRIPT, path.join(dir, "request.json"), resultFile], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  py = JSON.parse(readFileSync(resultFile, "utf8")) as PyResult;
}, 240_000);

afterAll(() => {
  if (dir && !process.env.SSB_KEEP) rmSync(dir, { recursive: true, force: true });
});

const COMPARISONS = CASES.flatMap((c) =>
  c.trainers.map(
    (trainer) =>
      [
        `${c.what}: ${trainer === "trainer" ? "transformers' Trainer" : "TRL's SFTTrainer (its defaults: chunked_nll, gradient checkpointing)"}`,
        c,
        trainer,
      ] as const,
  ),
);

describe.skipIf(missing !== undefined)(
  `training trajectory against transformers / TRL + PEFT${skipNote}`,
  () => {
    it.each(COMPARISONS)(
      "%s: after every step the trained weights agree (float32 precision through AdamW), and so do the loss, the learning rate and the gradient norm",
      (_, c, trainer) => {
        const ours = runs.get(c.name) as OurRun;
        const theirs = py.cases[`${c.name}/${trainer}`] as PyCase;
        const info = theirs.info;
        if (process.env.SSB_REPORT)
          console.log(c.name, trainer, JSON.stringify(info), JSON.stringify(py.versions));
        // What the library chose by default, and what distill matches: torch's AdamW with TrainingArguments'
        // betas and eps, decay on the same tensors (every LoRA A and B; full-parameter: not the biases nor the
        // norms), float64, and a loss divided by num_items_in_batch alone (model_accepts_loss_kwargs: not also
        // by the accumulation count).
        expect(info.betas).toEqual([0.9, 0.999]);
        expect(info.eps).toBe(1e-8);
        expect(info.decayed_names).toEqual([...ours.decayed].sort());
        expect(info.trainable).toBe(ours.initial.size);
        expect(info.model_accepts_loss_kwargs).toBe(true);
        expect(info.dtype).toBe("torch.float64");
        expect(theirs.steps.length).toBe(ours.metrics.length);
        expect(info.global_steps).toBe(ours.metrics.length);
        const maxNorm = ours.config.optimizer.maxGradNorm;
        let worstOverall = 0;
        for (const [s, m] of ours.metrics.entries()) {
          const t = theirs.steps[s] as PyStep;
          const mine = ours.weights[s] as Map<string, Float32Array>;
          // The library's step held the same reply tokens (num_items_in_batch) as ours.
          expect(t.num_items.every((n) => n === m.rows)).toBe(true);
          expect(Object.keys(t.weights).sort()).toEqual([...mine.keys()].sort());
          let worst = 0;
          let moved = 0;
          let off = 0;
          let total = 0;
          for (const [key, value] of mine) {
            const expected = (t.weights[key] as number[][]).flat();
            worst = Math.max(worst, maxAbsDiff(value, expected));
            for (let j = 0; j < value.length; j++)
              if (Math.abs((value[j] as number) - (expected[j] as number)) > 1e-6) off += 1;
            total += value.length;
            moved = Math.max(moved, maxAbsDiff(ours.initial.get(key) as Float32Array, expected));
          }
          worstOverall = Math.max(worstOverall, worst);
          if (process.env.SSB_REPORT)
            console.log(
              `${c.name}/${trainer} step ${s + 1}: weights diff ${worst.toExponential(2)} (${off} of ${total} over 1e-6; moved ${moved.toFixed(4)} from the start), loss ${m.loss.toFixed(6)} diff ${Math.abs(m.loss - t.loss).toExponential(1)}, lr ${m.lr.toExponential(4)} diff ${Math.abs(m.lr - t.lr).toExponential(1)}, grad norm ${m.gradNorm.toFixed(5)} diff ${Math.abs(m.gradNorm - t.grad_norm).toExponential(1)}${m.gradNorm > maxNorm ? " (clipped)" : ""}, reply tokens ${m.rows}`,
            );
          // Float32 against float64 through AdamW: an element whose gradient is near 0 (~1e-8, where eps counts)
          // gets an update of up to ~lr whose size float32 rounding changes by a few percent; torch itself in
          // float32 lands 3.8e-5 from its float64 run on the SFT case's worst element at step 3. So: nearly every
          // element within 1e-6 (99%), none further than lr / 100.
          expect(worst, `step ${s + 1}: trained weights`).toBeLessThan(1e-2 * ours.config.optimizer.lr);
          expect(off, `step ${s + 1}: elements over 1e-6 apart`).toBeLessThanOrEqual(1e-2 * total);
          expect(Math.abs(m.loss - t.loss), `step ${s + 1}: loss`).toBeLessThan(1e-5 * Math.max(1, t.loss));
          expect(Math.abs(m.lr - t.lr), `step ${s + 1}: lr`).toBeLessThan(1e-12);
          // transformers 5 logs the rate the update used (taken before its scheduler steps), as metrics.jsonl.
          expect(Math.abs(t.logged_lr - t.lr), `step ${s + 1}: logged lr`).toBeLessThan(1e-12);
          expect(Math.abs(m.gradNorm - t.grad_norm), `step ${s + 1}: grad norm`).toBeLessThan(
            1e-5 * t.grad_norm,
          );
          // Training moved the weights far beyond the differences, so the agreement means something.
          if (s > 0) expect(moved).toBeGreaterThan(100 * worst);
        }
        // Clipping triggered on some steps and not on others; the schedule warmed up (lr 0 first) and decayed.
        expect(ours.metrics.some((m) => m.gradNorm > maxNorm)).toBe(true);
        expect(ours.metrics.some((m) => m.gradNorm < maxNorm)).toBe(true);
        expect(ours.metrics[0]?.lr).toBe(0);
        expect(worstOverall).toBeGreaterThan(0);
      },
    );
  },
);
