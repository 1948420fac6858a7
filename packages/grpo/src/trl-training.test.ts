/**
 * Several rounds of training against TRL 1.13's GRPOTrainer: runGrpo trains three rounds on the tiny
 * checkpoint with a reward fixed per (round, group, sample); its sampled completions (deterministic: seeded
 * by round) and those rewards are recorded, and python/check_trl_training.py trains a real GRPOTrainer on the
 * same completions (its `rollout_func` returns them), from the same LoRA, with the matching GRPOConfig. Its own
 * loop computes the advantages, pi_old, the reference, the clipped loss, gradient accumulation, gradient
 * clipping, AdamW and the schedule. After every round the LoRA weights, AdamW's moments, the advantages and
 * the logged metrics are compared. With beta > 0 this takes klBiasCorrection (TRL 1.13's default
 * use_bias_correction_kl): without it the runs part from round 2 on, the first round whose KL is not zero.
 * Needs a python with torch, transformers, peft, trl and datasets (SSB_PYTHON names it); without one the tests
 * are skipped and their names say why. CI has none. SSB_REPORT=1 prints every number compared; SSB_KEEP=FILE
 * writes the request there and keeps the folder it names, to rerun the python alone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkpointDirName, disposeLora, initLora, loraConfigFrom, loraToAdapter } from "@ssb/distill";
import {
  type LoraAdapter,
  type LoraModuleWeights,
  loadAdapter,
  loadModelConfig,
  openSafetensors,
  peftKey,
  saveAdapter,
} from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import {
  CASES,
  COMMON,
  type Completion,
  NO_SIGNAL_CASE,
  NO_SIGNAL_REWARDS,
  REWARDS,
  ROUNDS,
  runTrainingCase,
} from "../test/trl-training-cases.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import type { GrpoStepMetrics } from "./grpo-metrics.js";
import { summarize } from "./stats.js";

const SCRIPT = path.join(import.meta.dirname, "..", "python", "check_trl_training.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

/** Why the check cannot run here, or undefined when it can. */
function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, transformers, peft, trl, datasets"], {
    encoding: "utf8",
  });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch, transformers, peft, trl and datasets: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing
  ? ` (skipped: ${missing}; set SSB_PYTHON to a python with torch, transformers, peft, trl and datasets)`
  : "";

interface TrlRound {
  lora: Record<string, number[][]>;
  exp_avg: Record<string, number[][]>;
  exp_avg_sq: Record<string, number[][]>;
  adam_steps: number[];
}
interface TrlCase {
  advantages: number[][];
  logs: Record<string, number>[];
  step_lrs: number[];
  rounds: TrlRound[];
  optimizer: string;
  scheduler: string;
}
interface OurCase {
  outDir: string;
  rounds: Completion[][];
  metrics: GrpoStepMetrics[];
}

let dir: string;
let modulePaths: string[];
let start: LoraAdapter;
const ours: OurCase[] = [];
let trl: { versions: Record<string, string>; cases: TrlCase[] };

beforeAll(async () => {
  if (missing) return;
  dir = mkdtempSync(path.join(tmpdir(), "grpo-trl-training-"));
  // The LoRA every run starts from: initLora with the run's seed, as runGrpo makes it.
  const first = resolveGrpoConfig({ ...COMMON, ...CASES[0]?.config });
  const loraConfig = loraConfigFrom(first.lora, tinyRef);
  const initial = initLora(await loadModelConfig(tinyRef), loraConfig, first.seed);
  modulePaths = [...initial.keys()];
  await saveAdapter(path.join(dir, "start"), loraToAdapter(initial, loraConfig));
  start = await loadAdapter(path.join(dir, "start"));
  disposeLora(initial);
  // The cases, then the run with a round without signal.
  const runs = [
    ...CASES.map((c) => ({ c, table: REWARDS })),
    { c: NO_SIGNAL_CASE, table: NO_SIGNAL_REWARDS },
  ];
  for (const [i, { c, table }] of runs.entries()) {
    const rounds: Completion[][] = [];
    const outDir = path.join(dir, `run-${i}`);
    const result = await runTrainingCase(c, outDir, rounds, table);
    ours.push({ outDir, rounds, metrics: result.metrics });
  }
  const request = {
    base: tinyRef,
    adapter: path.join(dir, "start"),
    eos_id: 2,
    cases: runs.map(({ c, table }, i) => ({
      args: c.trl,
      rounds: (ours[i] as OurCase).rounds.map((round, r) => ({
        prompt_ids: round.map((x) => x.promptIds),
        completion_ids: round.map((x) => x.tokenIds),
        rewards: (table[r] as number[][]).flat(),
      })),
    })),
  };
  writeFileSync(path.join(dir, "request.json"), JSON.stringify(request));
  if (process.env.SSB_KEEP) writeFileSync(process.env.SSB_KEEP, JSON.stringify(request));
  const r = spawnSync(PYTHON, [SCRIPT, path.join(dir, "request.json"), path.join(dir, "result.json")], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  trl = JSON.parse(readFileSync(path.join(dir, "result.json"), "utf8"));
}, 180_000);

afterAll(() => {
  if (dir && !process.env.SSB_KEEP) rmSync(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
/** A [rows, cols] row-major matrix transposed (our moments are stored as A^T / B^T). */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j] as number;
  return out;
}
const report = (...values: unknown[]): void => {
  if (process.env.SSB_REPORT) console.log(...values);
};

/** Our AdamW moments after round `round` (1-based) by PEFT key, in PEFT's layout, and AdamW's step count. */
async function ourMoments(
  outDir: string,
  round: number,
): Promise<{ moments: Map<string, [Float32Array, Float32Array]>; steps: number }> {
  const reader = await openSafetensors(
    path.join(outDir, "checkpoints", checkpointDirName(round), "optimizer.safetensors"),
  );
  const out = new Map<string, [Float32Array, Float32Array]>();
  try {
    for (const [l, modulePath] of modulePaths.entries()) {
      for (const [j, which] of (["A", "B"] as const).entries()) {
        const i = 2 * l + j;
        const m = await reader.readFloat32(`m.${i}`);
        const v = await reader.readFloat32(`v.${i}`);
        const [rows, cols] = m.shape as [number, number];
        out.set(peftKey(modulePath, which), [transpose(m.data, rows, cols), transpose(v.data, rows, cols)]);
      }
    }
    return { moments: out, steps: Number(reader.metadata.adam_step) };
  } finally {
    await reader.close();
  }
}

describe.skipIf(missing !== undefined)(`several rounds against TRL 1.13's GRPOTrainer${skipNote}`, () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))("%s", async (_, i) => {
    const mine = ours[i] as OurCase;
    const theirs = trl.cases[i] as TrlCase;
    expect(theirs.rounds.length).toBe(ROUNDS);
    expect(theirs.optimizer).toBe("AdamW");
    report(CASES[i]?.name, theirs.optimizer, theirs.scheduler, "lrs", theirs.step_lrs);
    let clipped = 0;
    let largestNorm = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const adapter = await loadAdapter(
        path.join(mine.outDir, "checkpoints", checkpointDirName(r + 1), "adapter"),
      );
      const { moments, steps } = await ourMoments(mine.outDir, r + 1);
      const t = theirs.rounds[r] as TrlRound;
      let weights = 0;
      let moved = 0;
      let m1 = 0;
      let m2 = 0;
      for (const [modulePath, w] of adapter.modules) {
        for (const [which, ours1] of [
          ["A", w.a.data],
          ["B", w.b.data],
        ] as const) {
          const key = peftKey(modulePath, which);
          weights = Math.max(weights, maxAbsDiff(ours1, (t.lora[key] as number[][]).flat()));
          const w0 = start.modules.get(modulePath) as LoraModuleWeights;
          moved = Math.max(moved, maxAbsDiff(ours1, which === "A" ? w0.a.data : w0.b.data));
          const [m, v] = moments.get(key) as [Float32Array, Float32Array];
          m1 = Math.max(m1, maxAbsDiff(m, (t.exp_avg[key] as number[][]).flat()));
          m2 = Math.max(m2, maxAbsDiff(v, (t.exp_avg_sq[key] as number[][]).flat()));
        }
      }
      const m = mine.metrics[r] as GrpoStepMetrics;
      const adv = summarize(theirs.advantages[r] as number[]);
      // TRL logs each optimizer step: the round's generation metrics with its first update.
      const [first, second] = [2 * r + 1, 2 * r + 2].map((step) =>
        theirs.logs.find((l) => l.step === step && "loss" in l),
      ) as [Record<string, number>, Record<string, number>];
      const n = (REWARDS[r] as number[][]).flat().length;
      const both = (key: string): number => ((first[key] as number) + (second[key] as number)) / 2;
      const rows: [string, number, number, number][] = [
        // [what, ours, TRL's, bound]
        ["advantage mean", m.advantageMean, adv.mean, 1e-6],
        ["advantage std", m.advantageStd, adv.std, 1e-6],
        ["advantage min", m.advantageMin, adv.min, 1e-6],
        ["advantage max", m.advantageMax, adv.max, 1e-6],
        ["reward", m.rewardMean, first.reward as number, 1e-6],
        // Ours is the population std of the round's rewards, TRL 1.13's their sample std.
        ["reward_std", m.rewardStd * Math.sqrt(n / (n - 1)), first.reward_std as number, 1e-6],
        ["frac_reward_zero_std", m.zeroAdvantageGroups / m.groups, first.frac_reward_zero_std as number, 0],
        ["completions/mean_length", m.responseLengthMean, first["completions/mean_length"] as number, 0],
        ["completions/max_length", m.responseLengthMax, first["completions/max_length"] as number, 0],
        ["completions/clipped_ratio", m.truncatedFraction, first["completions/clipped_ratio"] as number, 0],
        // One line per round here: the mean of the round's updates, the largest gradient norm, the first lr.
        ["clip_ratio/region_mean", m.clipFraction, both("clip_ratio/region_mean"), 1e-6],
        ["loss", m.loss, both("loss"), 1e-6],
        ["grad_norm", m.gradNorm, Math.max(first.grad_norm as number, second.grad_norm as number), 1e-5],
        ["learning_rate", m.lr, first.learning_rate as number, 1e-12],
        // lr 0.05: 1e-4 is 0.2% of one update (TRL's own float32 run is 1.5e-5 from its float64 one).
        ["weights (LoRA, largest |diff|)", weights, 0, 1e-4],
        ["exp_avg (largest |diff|)", m1, 0, 1e-8],
        ["exp_avg_sq (largest |diff|)", m2, 0, 1e-10],
      ];
      if (m.kl !== null) rows.push(["kl", m.kl, both("kl"), 1e-6]);
      report(`round ${r + 1}: LoRA moved up to ${moved}; AdamW steps ${t.adam_steps}`);
      for (const [what, a, b, bound] of rows) {
        report(`  ${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b)})`);
        expect(Math.abs(a - b), `round ${r + 1}: ${what}`).toBeLessThanOrEqual(bound);
      }
      expect(t.adam_steps).toEqual([2 * (r + 1)]);
      expect(steps).toBe(2 * (r + 1));
      expect(moved).toBeGreaterThan(0.02);
      clipped = Math.max(clipped, m.clipFraction);
      largestNorm = Math.max(largestNorm, m.gradNorm);
    }
    // The settings bite: ratios leave the clip range, and some update's gradient is clipped (max_grad_norm 0.3).
    expect(clipped).toBeGreaterThan(0);
    if (i === 0) expect(largestNorm).toBeGreaterThan(0.3);
  });

  it(`${NO_SIGNAL_CASE.name} (by AdamW's decayed moments)`, async () => {
    const i = CASES.length;
    const mine = ours[i] as OurCase;
    const theirs = trl.cases[i] as TrlCase;
    const adapterAfter = (round: number) =>
      loadAdapter(path.join(mine.outDir, "checkpoints", checkpointDirName(round), "adapter"));
    const [one, two] = [await adapterAfter(1), await adapterAfter(2)];
    const [t1, t2] = theirs.rounds as [TrlRound, TrlRound];
    const m2 = mine.metrics[1] as GrpoStepMetrics;
    expect([m2.zeroAdvantageGroups, m2.loss, m2.gradNorm]).toEqual([2, 0, 0]);
    expect((await ourMoments(mine.outDir, 2)).steps).toBe(2);
    expect(t2.adam_steps).toEqual([4]);
    // TRL's lr for the round's two steps (linear over 4 updates, 2 warmup): 0.05 and 0.025.
    const lrs = theirs.step_lrs.slice(2, 4);
    expect(lrs).toEqual([0.05, 0.025]);
    let stayed = 0;
    let round1 = 0;
    let moved = 0;
    let predicted = 0;
    for (const [modulePath, w] of one.modules) {
      for (const [which, w1] of [
        ["A", w.a.data],
        ["B", w.b.data],
      ] as const) {
        const key = peftKey(modulePath, which);
        const w2 = two.modules.get(modulePath) as LoraModuleWeights;
        stayed = Math.max(stayed, maxAbsDiff(w1, which === "A" ? w2.a.data : w2.b.data));
        const theirs1 = (t1.lora[key] as number[][]).flat();
        const theirs2 = (t2.lora[key] as number[][]).flat();
        round1 = Math.max(round1, maxAbsDiff(w1, theirs1));
        moved = Math.max(moved, maxAbsDiff(theirs1, theirs2));
        // AdamW steps 3 and 4 on a zero gradient, from TRL's own moments after round 1.
        const m = (t1.exp_avg[key] as number[][]).flat();
        const v = (t1.exp_avg_sq[key] as number[][]).flat();
        const expected = theirs1.map((x, j) => {
          let p = x;
          let mj = m[j] as number;
          let vj = v[j] as number;
          lrs.forEach((lr, k) => {
            const step = 3 + k;
            mj *= 0.9;
            vj *= 0.999;
            p -= (lr * (mj / (1 - 0.9 ** step))) / (Math.sqrt(vj / (1 - 0.999 ** step)) + 1e-8);
          });
          return p;
        });
        predicted = Math.max(predicted, maxAbsDiff(expected, theirs2));
      }
    }
    report("no signal:", { stayed, round1, moved, predicted });
    expect(stayed).toBe(0);
    expect(round1).toBeLessThan(1e-4);
    expect(moved).toBeGreaterThan(1e-2);
    expect(predicted).toBeLessThan(1e-9);
  });
});
