/**
 * Acceptance 1: the GRPO loss against values worked out by hand — group advantages (curation's helper, both
 * variants), the clipped ratio, token / sequence / constant averaging, the k3 KL term, and the gradient.
 */
import { grpoAdvantages } from "@ssb/curation";
import { describe, expect, it } from "vitest";
import { grpoLoss, sequenceTokenWeights, tokenWeights } from "./grpo-loss.js";
import { tf } from "./tf.js";

const clip = { epsilon: 0.2, epsilonHigh: 0.2 };
const ln = Math.log;

// Two completions: A has 2 tokens with advantage +1, B one token with advantage -0.5.
const lengths = [2, 1];
const advantages = Float32Array.from([1, 1, -0.5]);
// Ratios pi / pi_old: 0.5 / 0.4 = 1.25, 0.2 / 0.1 = 2, 0.3 / 0.5 = 0.6.
const newLp = [ln(0.5), ln(0.2), ln(0.3)];
const oldLp = Float32Array.from([ln(0.4), ln(0.1), ln(0.5)]);

function lossOf(weights: Float32Array, options: Partial<Parameters<typeof grpoLoss>[0]> = {}) {
  return tf.tidy(() => {
    const parts = grpoLoss({
      logProbs: tf.tensor1d(newLp),
      oldLogProbs: oldLp,
      refLogProbs: null,
      advantages,
      weights,
      clip,
      beta: 0,
      ...options,
    });
    return { ...parts, value: parts.loss.dataSync()[0] as number };
  });
}

describe("group advantages (via @ssb/curation)", () => {
  it("GRPO divides by the population std, Dr. GRPO only centres", () => {
    // rewards 1,0,0,1: mean 0.5, std 0.5
    const grpo = grpoAdvantages([1, 0, 0, 1]);
    grpo.forEach((a, i) => {
      expect(a).toBeCloseTo([1, -1, -1, 1][i] as number, 5);
    });
    expect(grpoAdvantages([1, 0, 0, 1], { variant: "dr-grpo" })).toEqual([0.5, -0.5, -0.5, 0.5]);
    // rewards 1,0,0,0: mean 0.25, std sqrt(3)/4
    const s = Math.sqrt(3) / 4;
    grpoAdvantages([1, 0, 0, 0]).forEach((a, i) => {
      expect(a).toBeCloseTo(([0.75, -0.25, -0.25, -0.25][i] as number) / s, 5);
    });
    expect(grpoAdvantages([1, 1, 1])).toEqual([0, 0, 0]);
  });
});

describe("token weights", () => {
  it("token: 1 / all tokens; sequence: 1 / (len x n); constant: 1 / (n x L)", () => {
    expect(Array.from(tokenWeights(lengths, "token", 4))).toEqual([1 / 3, 1 / 3, 1 / 3].map(Math.fround));
    expect(sequenceTokenWeights(lengths, "sequence", 4)).toEqual([0.25, 0.5]);
    expect(sequenceTokenWeights(lengths, "constant", 4)).toEqual([0.125, 0.125]);
  });
});

describe("clipped objective", () => {
  it("token-level mean of min(r A, clip(r) A): all three tokens clipped here", () => {
    // token 1: min(1.25, 1.2) = 1.2; token 2: min(2, 1.2) = 1.2; token 3 (A < 0): min(-0.3, -0.4) = -0.4
    const r = lossOf(tokenWeights(lengths, "token", 4));
    expect(r.value).toBeCloseTo(-(1.2 + 1.2 - 0.4) / 3, 6);
    expect(r.clippedTokens).toBe(3);
    expect(r.ratioSum).toBeCloseTo(1.25 + 2 + 0.6, 5);
    expect(r.klSum).toBe(0);
  });

  it("sequence-level (original GRPO) and constant (Dr. GRPO) averaging", () => {
    expect(lossOf(tokenWeights(lengths, "sequence", 4)).value).toBeCloseTo(-(0.25 * 1.2 * 2 - 0.5 * 0.4), 6);
    expect(lossOf(tokenWeights(lengths, "constant", 4)).value).toBeCloseTo(-(2.4 - 0.4) / 8, 6);
  });

  it("asymmetric clip (clip-higher): only the upper bound moves", () => {
    const r = lossOf(tokenWeights(lengths, "token", 4), { clip: { epsilon: 0.2, epsilonHigh: 0.5 } });
    // token 1: r 1.25 < 1.5 -> unclipped 1.25; token 2: min(2, 1.5) = 1.5; token 3 unchanged -0.4
    expect(r.value).toBeCloseTo(-(1.25 + 1.5 - 0.4) / 3, 6);
    expect(r.clippedTokens).toBe(2);
  });

  it("gradient: -w A r where the unclipped term is chosen, 0 where clipping binds", () => {
    const weights = tokenWeights(lengths, "token", 4);
    // token 1 ratio 1.1 (inside the range), token 2 ratio 2 (clipped), token 3 ratio 0.9 with A < 0 (inside)
    const lp = [ln(0.44), ln(0.2), ln(0.45)];
    const grad = tf.tidy(() =>
      tf
        .grad(
          (x: tf.Tensor) =>
            grpoLoss({
              logProbs: x as tf.Tensor1D,
              oldLogProbs: oldLp,
              refLogProbs: null,
              advantages,
              weights,
              clip,
              beta: 0,
            }).loss,
        )(tf.tensor1d(lp))
        .dataSync(),
    );
    expect(grad[0]).toBeCloseTo((-1 / 3) * 1 * 1.1, 5);
    expect(grad[1]).toBeCloseTo(0, 7);
    expect(grad[2]).toBeCloseTo((-1 / 3) * -0.5 * 0.9, 5);
  });

  it("on-policy (no pi_old): ratios are exactly 1, loss -sum w A, gradient -w A", () => {
    const weights = tokenWeights(lengths, "token", 4);
    const { value, grad, clipped, ratios } = tf.tidy(() => {
      let parts = { clippedTokens: -1, ratioSum: 0 };
      const g = tf.grad((x: tf.Tensor) => {
        const p = grpoLoss({
          logProbs: x as tf.Tensor1D,
          oldLogProbs: null,
          refLogProbs: null,
          advantages,
          weights,
          clip,
          beta: 0,
        });
        parts = p;
        return p.loss;
      })(tf.tensor1d(newLp));
      const v = grpoLoss({
        logProbs: tf.tensor1d(newLp),
        oldLogProbs: null,
        refLogProbs: null,
        advantages,
        weights,
        clip,
        beta: 0,
      }).loss.dataSync()[0] as number;
      return { value: v, grad: g.dataSync(), clipped: parts.clippedTokens, ratios: parts.ratioSum };
    });
    expect(value).toBeCloseTo(-(1 + 1 - 0.5) / 3, 6);
    expect(Array.from(grad).map((g) => Number(g.toFixed(6)))).toEqual(
      [-1 / 3, -1 / 3, 0.5 / 3].map((g) => Number(g.toFixed(6))),
    );
    expect(clipped).toBe(0);
    expect(ratios).toBe(3);
  });

  it("KL to the reference with the k3 estimator, subtracted with coefficient beta", () => {
    // ref = ln 0.25 vs logp = ln 0.5: delta = ln 0.5, KL = 0.5 - ln 0.5 - 1 = 0.193147...
    const kl1 = 0.5 - ln(0.5) - 1;
    // ref = ln 0.2 vs logp = ln 0.2: 0; ref = ln 0.6 vs logp = ln 0.3: delta = ln 2, KL = 2 - ln 2 - 1
    const kl3 = 2 - ln(2) - 1;
    const ref = Float32Array.from([ln(0.25), ln(0.2), ln(0.6)]);
    const weights = tokenWeights(lengths, "token", 4);
    const noBeta = lossOf(weights, { refLogProbs: ref });
    expect(noBeta.klSum).toBeCloseTo(kl1 + kl3, 5);
    expect(noBeta.value).toBeCloseTo(-(1.2 + 1.2 - 0.4) / 3, 6);
    const beta = lossOf(weights, { refLogProbs: ref, beta: 0.1 });
    expect(beta.value).toBeCloseTo(-(1.2 + 1.2 - 0.4 - 0.1 * (kl1 + kl3)) / 3, 5);
  });

  it("klBiasCorrection (TRL 1.13's use_bias_correction_kl): the KL term x r; on-policy its gradient is (logp - ref), the bare k3's 1 - ref / pi", () => {
    // On-policy (r = 1 with gradient r), no advantages: only the KL term, beta 0.1, token weights 1/3.
    const ref = Float32Array.from([ln(0.25), ln(0.2), ln(0.6)]);
    const weights = tokenWeights(lengths, "token", 4);
    const gradOf = (klBiasCorrection: boolean): number[] =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad(
              (x: tf.Tensor) =>
                grpoLoss({
                  logProbs: x as tf.Tensor1D,
                  oldLogProbs: null,
                  refLogProbs: ref,
                  advantages: new Float32Array(3),
                  weights,
                  clip,
                  beta: 0.1,
                  klBiasCorrection,
                }).loss,
            )(tf.tensor1d(newLp))
            .dataSync(),
        ),
      );
    const w = 0.1 / 3;
    // d/dlogp (r k3) at r = 1: k3 + (1 - exp(ref - logp)) = logp - ref, the unbiased reverse-KL gradient.
    gradOf(true).forEach((g, t) => {
      expect(g).toBeCloseTo(w * ((newLp[t] as number) - (ref[t] as number)), 6);
    });
    gradOf(false).forEach((g, t) => {
      expect(g).toBeCloseTo(w * (1 - Math.exp((ref[t] as number) - (newLp[t] as number))), 6);
    });
    // Off-policy the term itself is r x k3 (ratios 1.25, 2, 0.6), and klSum with it.
    const kl = [0.5 - ln(0.5) - 1, 0, 2 - ln(2) - 1];
    const weighted = lossOf(weights, { refLogProbs: ref, beta: 0.1, klBiasCorrection: true });
    expect(weighted.klSum).toBeCloseTo(1.25 * (kl[0] as number) + 0.6 * (kl[2] as number), 5);
    expect(weighted.value).toBeCloseTo(-(1.2 + 1.2 - 0.4 - 0.1 * weighted.klSum) / 3, 5);
  });

  it("refuses misaligned inputs and beta without a reference", () => {
    expect(() => lossOf(Float32Array.from([1, 1]))).toThrow(/weights has 2 entries, expected 3/);
    expect(() => lossOf(tokenWeights(lengths, "token", 4), { beta: 0.1 })).toThrow(/reference/);
  });
});
