/**
 * The GRPO loss and its gradient against TRL 1.13's own `GRPOTrainer._compute_loss`: python/check_trl_loss.py
 * runs that method on a PEFT model (the tiny checkpoint + the same LoRA adapter, float64) for fixed completions
 * and advantages, for each aggregation (token = `dapo`, sequence = `grpo`, constant = `dr_grpo`), with and
 * without the k3 KL (beta > 0), on- and off-policy. Needs a python that imports torch, transformers, peft and
 * trl (SSB_PYTHON names it); without one these tests are skipped and their names say why. CI has none.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type DecoderModel,
  disposeDecoder,
  initLora,
  loraConfigFrom,
  loraToAdapter,
  selectBackend,
  toPeftLayout,
} from "@ssb/distill";
import { peftKey, saveAdapter } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef, tinyRefDecoder } from "../test/fixtures.js";
import type { LossAggregation } from "./grpo-loss.js";
import {
  type CollatedSequences,
  collateSequences,
  logProbsNoGrad,
  policyGradients,
  referenceModel,
} from "./grpo-step.js";
import { roundSequences } from "./round-sequences.js";
import { tf } from "./tf.js";

const SCRIPT = path.join(import.meta.dirname, "..", "python", "check_trl_loss.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

/** Why the check cannot run here, or undefined when it can. */
function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, transformers, peft, trl"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch, transformers, peft and trl: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing
  ? ` (skipped: ${missing}; set SSB_PYTHON to a python with torch, transformers, peft and trl)`
  : "";

const TEMPERATURE = 0.7;
const CLIP = { epsilon: 0.2, epsilonHigh: 0.28 };
const MAX_NEW_TOKENS = 6;
/** Prompts of different lengths, completions of different lengths (stop id 2 last), advantages of both signs. */
const SEQUENCES = [
  { promptIds: [5, 17, 42], replyIds: [7, 19, 23, 2], advantage: 1.2 },
  { promptIds: [9, 11], replyIds: [31, 2], advantage: -0.7 },
  { promptIds: [100, 3, 8, 64], replyIds: [77, 12, 90, 4, 2], advantage: 0.5 },
  { promptIds: [250], replyIds: [6, 2], advantage: -1.1 },
];
const LENGTHS = SEQUENCES.map((s) => s.replyIds.length);
/** log(pi / pi_old) per token off-policy: ratios inside and outside [1 - 0.2, 1 + 0.28], none near the edges. */
const SHIFTS = [0.4, -0.4, 0.05, -0.05, 0.15, -0.6, 0.7];

const AGGREGATIONS: [LossAggregation, string][] = [
  ["token", "dapo"],
  ["sequence", "grpo"],
  ["constant", "dr_grpo"],
];
interface Case {
  aggregation: LossAggregation;
  lossType: string;
  beta: number;
  offPolicy: boolean;
  /** Completions cut at maxNewTokens, with maskTruncated on (TRL's mask_truncated_completions). */
  truncated: number[];
  /** The KL term x the ratio: klBiasCorrection here, use_bias_correction_kl there (TRL 1.13's default). */
  biasCorrection: boolean;
}
/** The third completion cut at the length limit, masked out of the loss. */
const TRUNCATED = 2;
const CASES: Case[] = [
  ...AGGREGATIONS.flatMap(([aggregation, lossType]) =>
    [0, 0.04].flatMap((beta) =>
      [false, true].map((offPolicy) => ({
        aggregation,
        lossType,
        beta,
        offPolicy,
        truncated: [],
        biasCorrection: false,
      })),
    ),
  ),
  ...AGGREGATIONS.map(([aggregation, lossType]) => ({
    aggregation,
    lossType,
    beta: 0.04,
    offPolicy: true,
    truncated: [TRUNCATED],
    biasCorrection: false,
  })),
  // TRL 1.13's default KL term: on-policy the ratio is 1 but its gradient is not zero.
  ...AGGREGATIONS.flatMap(([aggregation, lossType]) =>
    [false, true].map((offPolicy) => ({
      aggregation,
      lossType,
      beta: 0.04,
      offPolicy,
      truncated: [],
      biasCorrection: true,
    })),
  ),
];

interface TrlResult {
  versions: Record<string, string>;
  logps: number[][];
  ref_logps: number[][];
  cases: { loss: number; grads: Record<string, number[][]> }[];
}

let dir: string;
let model: DecoderModel;
let batch: CollatedSequences;
let logps: Float32Array;
let refLogps: Float32Array;
let trl: TrlResult;

const oldOf = (lp: Float32Array): Float32Array => lp.map((v, i) => v - (SHIFTS[i % SHIFTS.length] as number));

function split(flat: ArrayLike<number>): number[][] {
  let at = 0;
  return LENGTHS.map((n) => {
    const row = Array.from(flat).slice(at, at + n);
    at += n;
    return row;
  });
}

beforeAll(async () => {
  if (missing) return;
  await selectBackend("wasm", () => {});
  dir = mkdtempSync(path.join(tmpdir(), "grpo-trl-"));
  model = await tinyRefDecoder();
  const loraConfig = loraConfigFrom(
    { r: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "o_proj", "down_proj"] },
    tinyRef,
  );
  model.lora = initLora(model.config, loraConfig, 3);
  // B starts at zero (PEFT): give it values so the policy differs from the reference and A gets a gradient.
  for (const layer of model.lora.values()) {
    const values = tf.tidy(() => tf.mul(tf.randomNormal(layer.bT.shape, 0, 1, "float32", 11), 0.1));
    layer.bT.assign(values);
    values.dispose();
  }
  await saveAdapter(path.join(dir, "adapter"), loraToAdapter(model.lora, loraConfig));
  batch = collateSequences(
    SEQUENCES.map((s) => ({ ...s, tokenWeight: 0 })),
    0,
  );
  logps = logProbsNoGrad(model, [batch], TEMPERATURE)[0] as Float32Array;
  refLogps = logProbsNoGrad(referenceModel(model), [batch], TEMPERATURE)[0] as Float32Array;
  const request = {
    base: tinyRef,
    adapter: path.join(dir, "adapter"),
    temperature: TEMPERATURE,
    epsilon_low: CLIP.epsilon,
    epsilon_high: CLIP.epsilonHigh,
    max_completion_length: MAX_NEW_TOKENS,
    pad_id: 0,
    sequences: SEQUENCES.map((s) => ({
      prompt_ids: s.promptIds,
      completion_ids: s.replyIds,
      advantage: s.advantage,
    })),
    cases: CASES.map((c) => ({
      loss_type: c.lossType,
      beta: c.beta,
      old_logps: c.offPolicy ? split(oldOf(logps)) : null,
      truncated: c.truncated,
      bias_correction_kl: c.biasCorrection,
    })),
  };
  writeFileSync(path.join(dir, "request.json"), JSON.stringify(request));
  const r = spawnSync(PYTHON, [SCRIPT, path.join(dir, "request.json")], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  trl = JSON.parse(r.stdout) as TrlResult;
}, 120_000);

afterAll(() => {
  if (model) disposeDecoder(model);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
const maxAbs = (a: ArrayLike<number>): number => maxAbsDiff(a, new Float64Array(a.length));

describe.skipIf(missing !== undefined)(`against TRL 1.13's GRPOTrainer._compute_loss${skipNote}`, () => {
  it("per-token log-probs at the sampling temperature (policy and base) equal TRL's (< 1e-5)", () => {
    expect(trl.versions.trl).toMatch(/^\d/);
    const d = maxAbsDiff(logps, trl.logps.flat());
    const dRef = maxAbsDiff(refLogps, trl.ref_logps.flat());
    if (process.env.SSB_REPORT)
      console.log("logps", d, "ref", dRef, "policy vs base", maxAbsDiff(logps, refLogps));
    expect(d).toBeLessThan(1e-5);
    expect(dRef).toBeLessThan(1e-5);
    // The adapter moves the policy off the reference, so the KL term is not zero.
    expect(maxAbsDiff(logps, refLogps)).toBeGreaterThan(1e-2);
  });

  it.each(
    CASES.map((c, i) => {
      const masked = c.truncated.length > 0 ? ", a truncated completion masked" : "";
      const kl = c.biasCorrection ? " x ratio (klBiasCorrection = use_bias_correction_kl)" : "";
      const policy = c.offPolicy ? "off" : "on";
      return [`${c.aggregation} = ${c.lossType}, beta ${c.beta}${kl}, ${policy}-policy${masked}`, i] as const;
    }),
  )("%s: loss and LoRA gradients equal TRL's", (_, i) => {
    const c = CASES[i] as Case;
    // The round's sequences and token weights as run-grpo makes them (truncated ones masked when listed).
    const { sequences } = roundSequences(
      SEQUENCES.map((s, j) => ({
        promptIds: s.promptIds,
        tokenIds: s.replyIds,
        finishReason: c.truncated.includes(j) ? "length" : "stop",
      })),
      SEQUENCES.map((s) => s.advantage),
      {
        aggregation: c.aggregation,
        maxNewTokens: MAX_NEW_TOKENS,
        maskTruncated: true,
        keepZeroAdvantage: true,
      },
    );
    const step = collateSequences(sequences, 0);
    const kept = (flat: Float32Array) =>
      Float32Array.from(split(flat).flatMap((row, j) => (c.truncated.includes(j) ? [] : row)));
    const vars = [...model.lora.values()].flatMap((l) => [l.aT, l.bT]);
    const result = policyGradients(model, vars, [step], {
      temperature: TEMPERATURE,
      clip: CLIP,
      beta: c.beta,
      klBiasCorrection: c.biasCorrection,
      oldLogProbs: c.offPolicy ? [kept(oldOf(logps))] : null,
      refLogProbs: c.beta > 0 ? [kept(refLogps)] : null,
      seed: 0,
      step: 0,
      iteration: 0,
    });
    const theirs = trl.cases[i] as TrlResult["cases"][number];
    const lossDiff = Math.abs(result.loss - theirs.loss);
    let worst = 0;
    let largest = 0;
    const layers = [...model.lora.values()];
    layers.forEach((layer, l) => {
      for (const [which, g] of [
        ["A", result.grads[2 * l]],
        ["B", result.grads[2 * l + 1]],
      ] as const) {
        const key = peftKey(layer.modulePath, which);
        const expected = theirs.grads[key];
        expect(expected, key).toBeDefined();
        const flat = (expected as number[][]).flat();
        worst = Math.max(worst, maxAbsDiff(toPeftLayout(g as tf.Tensor), flat));
        largest = Math.max(largest, maxAbs(flat));
      }
    });
    for (const g of result.grads) g.dispose();
    if (process.env.SSB_REPORT)
      console.log(c, "loss", result.loss, theirs.loss, lossDiff, "grad", worst, largest);
    expect(lossDiff).toBeLessThan(1e-5);
    expect(largest).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-5);
    expect(worst).toBeLessThan(1e-4 * largest);
    // Off-policy, some ratios leave the clip range on the side min() picks, so clipping is exercised.
    if (c.offPolicy) expect(result.clippedTokens).toBeGreaterThan(0);
    // Every TRL LoRA tensor was compared (none of ours missing).
    expect(Object.keys(theirs.grads).length).toBe(2 * layers.length);
  });
});
