import { describe, expect, it } from "vitest";
import { float32ArrayToFloat16Bits } from "./float16.js";
import { tailMass, topkDistributionAtTemperature, topkLogProbs } from "./logit-math.js";

/** A small full-vocabulary example so every quantity can be checked against the exact softmax. */
function fullVocab(seed: number, vocab = 50, k = 5) {
  const logits = Array.from({ length: vocab }, (_, i) => Math.sin(seed * 13 + i * 7.1) * 6);
  const order = logits.map((_, i) => i).sort((a, b) => logits[b]! - logits[a]!);
  const top = order.slice(0, k);
  const lse = Math.log(logits.reduce((s, z) => s + Math.exp(z), 0));
  return { logits, top, lse, k };
}

describe("logit helpers", () => {
  const ex = fullVocab(1);
  const rows = {
    k: ex.k,
    topkLogits: Float32Array.from(ex.top.map((i) => ex.logits[i]!)),
    logSumExp: Float32Array.of(ex.lse),
  };

  it("topkLogProbs are the exact log-softmax of the top-k", () => {
    const lp = topkLogProbs(rows);
    ex.top.forEach((id, j) => {
      expect(lp[j]).toBeCloseTo(ex.logits[id]! - ex.lse, 5);
    });
  });

  it("tailMass is the probability outside the top-k", () => {
    const tailIds = ex.logits.map((_, i) => i).filter((i) => !ex.top.includes(i));
    const expected = tailIds.reduce((s, i) => s + Math.exp(ex.logits[i]! - ex.lse), 0);
    expect(tailMass(rows)[0]).toBeCloseTo(expected, 5);
  });

  it("temperature distribution renormalises over the top-k", () => {
    const T = 2;
    const d = topkDistributionAtTemperature(rows, T);
    const z = ex.top.map((i) => Math.exp(ex.logits[i]! / T));
    const s = z.reduce((a, b) => a + b, 0);
    z.forEach((v, j) => {
      expect(d[j]).toBeCloseTo(v / s, 6);
    });
  });

  it("with a tail bucket at T = 1 it equals the true distribution", () => {
    const d = topkDistributionAtTemperature(rows, 1, { tail: true });
    expect(d.length).toBe(ex.k + 1);
    ex.top.forEach((id, j) => {
      expect(d[j]).toBeCloseTo(Math.exp(ex.logits[id]! - ex.lse), 6);
    });
    expect(d[ex.k]).toBeCloseTo(tailMass(rows)[0]!, 6);
    expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it("tail bucket at T > 1 lower-bounds the true tail mass", () => {
    const T = 2;
    const d = topkDistributionAtTemperature(rows, T, { tail: true });
    const all = ex.logits.map((z) => Math.exp(z / T));
    const s = all.reduce((a, b) => a + b, 0);
    const trueTail = 1 - ex.top.reduce((a, i) => a + all[i]! / s, 0);
    expect(d[ex.k]!).toBeLessThanOrEqual(trueTail + 1e-6);
    expect(d[ex.k]!).toBeGreaterThan(0);
  });

  it("accepts float16 bits and rejects bad shapes and temperatures", () => {
    const f16 = { ...rows, topkLogits: float32ArrayToFloat16Bits(rows.topkLogits) };
    const lp = topkLogProbs(f16);
    ex.top.forEach((id, j) => {
      expect(Math.abs(lp[j]! - (ex.logits[id]! - ex.lse))).toBeLessThan(0.01);
    });
    expect(() => topkLogProbs({ ...rows, k: 4 })).toThrow(/expected 1 rows x k=4/);
    expect(() => topkDistributionAtTemperature(rows, 0)).toThrow(/temperature/);
  });
});
