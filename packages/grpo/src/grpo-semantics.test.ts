import {
  type DecoderModel,
  disposeDecoder,
  forward,
  initLora,
  loraConfigFrom,
  trainableVariables,
} from "@ssb/distill";
import type { LoraConfig } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDecoder } from "../test/fixtures.js";
import { grpoLoss, sequenceTokenWeights, tokenWeights } from "./grpo-loss.js";
import { type CollatedSequences, collateSequences, logProbsNoGrad, policyGradients } from "./grpo-step.js";
import { tf } from "./tf.js";

let model: DecoderModel;
const loraConfig: LoraConfig = loraConfigFrom(
  { r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"] },
  "tiny",
);

// Two completions of different lengths after prompts of different lengths; the last reply id is the stop token.
const seqA = { promptIds: [5, 17, 42], replyIds: [7, 19, 23, 2], advantage: 1 };
const seqB = { promptIds: [9, 11], replyIds: [31, 2], advantage: -0.5 };
const temperature = 0.7;

beforeAll(async () => {
  await tf.setBackend("cpu");
  model = await tinyRefDecoder();
  model.lora = initLora(model.config, loraConfig, 1);
  // B starts at zero (PEFT): give it values so the LoRA changes the log-probs and A gets a gradient too.
  for (const layer of model.lora.values()) {
    const values = tf.tidy(() => tf.mul(tf.randomNormal(layer.bT.shape, 0, 1, "float32", 7), 0.05));
    layer.bT.assign(values);
    values.dispose();
  }
});

afterAll(() => {
  disposeDecoder(model);
});

/** log pi of each reply token, from one unpadded sequence's full logits (every position, not only replies). */
function referenceLogProbs(s: { promptIds: number[]; replyIds: number[] }): number[] {
  const ids = [...s.promptIds, ...s.replyIds];
  return tf.tidy(() => {
    const logits = forward(
      model,
      {
        inputIds: Int32Array.from(ids),
        batch: 1,
        length: ids.length,
        attentionMask: new Uint8Array(ids.length).fill(1),
      },
      [{ batch: 0, start: 0, length: ids.length }],
    );
    const logp = tf.logSoftmax(tf.div(logits, temperature)).arraySync() as number[][];
    // Position p predicts ids[p + 1]: reply token j sits at promptIds.length + j.
    return s.replyIds.map((id, j) => (logp[s.promptIds.length + j - 1] as number[])[id] as number);
  });
}

function collate(weights: Float32Array): CollatedSequences {
  const perSeq = [weights[0] as number, weights[seqA.replyIds.length] as number];
  return collateSequences(
    [
      { ...seqA, tokenWeight: perSeq[0] as number },
      { ...seqB, tokenWeight: perSeq[1] as number },
    ],
    0,
  );
}

describe("GRPO step on a real decoder (hand case: 2 replies of 4 and 2 tokens)", () => {
  it("trains exactly the reply tokens (stop token included; prompt and padding excluded)", () => {
    const weights = tokenWeights([4, 2], "sequence", 8);
    const batch = collate(weights);
    // Padded to the 32-token bucket: padding is there, and must not change a reply token's log-prob.
    expect(batch.input.length).toBe(32);
    expect(Array.from(batch.targets)).toEqual([7, 19, 23, 2, 31, 2]);
    const [ours] = logProbsNoGrad(model, [batch], temperature);
    const expected = [...referenceLogProbs(seqA), ...referenceLogProbs(seqB)];
    expected.forEach((lp, i) => {
      expect(ours?.[i]).toBeCloseTo(lp, 4);
    });
  });

  it("loss and LoRA gradient: -sum_t w_t A_i d log pi; equal to finite differences of the clipped objective", () => {
    const vars = trainableVariables(model);
    for (const aggregation of ["token", "sequence", "constant"] as const) {
      const weights = tokenWeights([4, 2], aggregation, 8);
      const batch = collate(weights);
      const g = policyGradients(model, vars, [batch], {
        temperature,
        clip: { epsilon: 0.2, epsilonHigh: 0.2 },
        beta: 0,
        oldLogProbs: null,
        refLogProbs: null,
        seed: 0,
        step: 0,
        iteration: 0,
      });
      // On-policy: loss = -sum_t w_t A_t; the normaliser: token 1/6, sequence 1/(len x 2), constant 1/(2 x 8).
      const expectedLoss = {
        token: -(4 * 1 - 2 * 0.5) / 6,
        sequence: -(1 - 0.5) / 2,
        constant: -(4 - 1) / 16,
      };
      expect(g.loss).toBeCloseTo(expectedLoss[aggregation], 6);
      expect(g.clippedTokens).toBe(0);
      expect(g.ratioSum).toBe(6);
      // Finite differences of L(theta) = -sum w min(r A, clip(r) A) with pi_old frozen at theta_0 (r = 1 there).
      const old = logProbsNoGrad(model, [batch], temperature)[0] as Float32Array;
      const objective = (): number =>
        tf.tidy(() => {
          const [lp] = logProbsNoGrad(model, [batch], temperature);
          return grpoLoss({
            logProbs: tf.tensor1d(lp as Float32Array),
            oldLogProbs: old,
            refLogProbs: null,
            advantages: batch.advantages,
            weights: batch.weights,
            clip: { epsilon: 0.2, epsilonHigh: 0.2 },
            beta: 0,
          }).loss.dataSync()[0] as number;
        });
      // The largest gradient entry of the first A and B matrices (float32 differences need a sizeable one).
      for (const which of [0, 1]) {
        const v = vars[which] as tf.Variable;
        const grad = Array.from((g.grads[which] as tf.Tensor).dataSync());
        const index = grad.reduce(
          (best, x, i) => (Math.abs(x) > Math.abs(grad[best] as number) ? i : best),
          0,
        );
        const analytic = grad[index] as number;
        const base = v.dataSync().slice();
        const h = 2e-2;
        const at = (delta: number): number => {
          const moved = base.slice();
          moved[index] = (moved[index] as number) + delta;
          v.assign(tf.tensor(moved, v.shape));
          return objective();
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(analytic)).toBeGreaterThan(2e-4);
        expect(Math.abs(numeric - analytic)).toBeLessThan(0.02 * Math.abs(analytic));
      }
      for (const t of g.grads) t.dispose();
    }
  });

  it("a completion of no tokens trains nothing and still counts among the sequences (TRL: mean over max(len, 1))", () => {
    const vars = trainableVariables(model);
    const empty = { promptIds: [9, 11], replyIds: [] as number[], advantage: -1 };
    const weights = sequenceTokenWeights([4, 0], "sequence", 8);
    expect(weights).toEqual([1 / 8, 0]);
    expect(sequenceTokenWeights([0, 0], "token", 8)).toEqual([0, 0]);
    const options = {
      temperature,
      clip: { epsilon: 0.2, epsilonHigh: 0.2 },
      beta: 0,
      oldLogProbs: null,
      refLogProbs: null,
      seed: 0,
      step: 0,
      iteration: 0,
    };
    const both = collateSequences(
      [
        { ...seqA, tokenWeight: weights[0] as number },
        { ...empty, tokenWeight: weights[1] as number },
      ],
      0,
    );
    const g = policyGradients(model, vars, [both], options);
    expect(g.loss).toBeCloseTo(-0.5, 6);
    expect(g.tokens).toBe(4);
    // A micro-batch of empty replies only: no loss, zero gradients (it used to throw on the empty row).
    const none = policyGradients(model, vars, [collateSequences([{ ...empty, tokenWeight: 0 }], 0)], options);
    expect(none.loss).toBe(0);
    expect(none.grads.every((t) => t.dataSync().every((x) => x === 0))).toBe(true);
    for (const t of [...g.grads, ...none.grads]) t.dispose();
  });

  it("iterations > 1: pi_old is the sampling policy (first ratios exactly 1); after a step the clip binds by sign", () => {
    const vars = trainableVariables(model);
    const weights = tokenWeights([4, 2], "token", 8);
    const batch = collate(weights);
    const clip = { epsilon: 0.2, epsilonHigh: 0.2 };
    const old = logProbsNoGrad(model, [batch], temperature);
    const options = { temperature, clip, beta: 0, refLogProbs: null, seed: 0, step: 0, iteration: 0 };
    const first = policyGradients(model, vars, [batch], { ...options, oldLogProbs: old });
    const onPolicy = policyGradients(model, vars, [batch], { ...options, oldLogProbs: null });
    expect(first.ratioSum).toBe(6);
    expect(first.loss).toBe(onPolicy.loss);
    first.grads.forEach((t, i) => {
      expect(Array.from(t.dataSync())).toEqual(Array.from((onPolicy.grads[i] as tf.Tensor).dataSync()));
    });
    // Move every LoRA weight far along the descent direction: ratios leave [0.8, 1.2].
    const saved = vars.map((v) => v.dataSync().slice());
    vars.forEach((v, i) => {
      const moved = tf.tidy(() => tf.sub(v, tf.mul(first.grads[i] as tf.Tensor, 2000)));
      v.assign(moved);
      moved.dispose();
    });
    const [now] = logProbsNoGrad(model, [batch], temperature);
    const second = policyGradients(model, vars, [batch], { ...options, oldLogProbs: old, iteration: 1 });
    // By hand: ratio r_t = exp(now - old); min(r A, clip(r) A); clipped when (A > 0, r > 1.2) or (A < 0, r < 0.8).
    const a = Array.from(batch.advantages);
    const r = Array.from(now as Float32Array).map((lp, t) =>
      Math.exp(lp - ((old[0] as Float32Array)[t] as number)),
    );
    const objective = r.map((rt, t) => {
      const at = a[t] as number;
      return Math.min(rt * at, Math.min(Math.max(rt, 0.8), 1.2) * at);
    });
    const clipped = r.filter(
      (rt, t) => ((a[t] as number) > 0 && rt > 1.2) || ((a[t] as number) < 0 && rt < 0.8),
    );
    expect(clipped.length).toBeGreaterThan(0);
    expect(second.clippedTokens).toBe(clipped.length);
    expect(second.loss).toBeCloseTo(-objective.reduce((sum, o, t) => sum + o * (weights[t] as number), 0), 5);
    vars.forEach((v, i) => {
      v.assign(tf.tensor(saved[i] as Float32Array, v.shape));
    });
    for (const t of [...first.grads, ...onPolicy.grads, ...second.grads]) t.dispose();
  });
});
