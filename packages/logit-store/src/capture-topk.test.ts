import { describe, expect, it } from "vitest";
import { mulberry32 } from "../test/synthetic-logits.js";
import { captureTopk } from "./capture-topk.js";

describe("captureTopk", () => {
  it("matches a full sort and an exact log-sum-exp", () => {
    const rand = mulberry32(3);
    const logits = Float32Array.from({ length: 5000 }, () => (rand() - 0.5) * 40);
    for (const k of [1, 7, 128]) {
      const got = captureTopk(logits, k);
      const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
      expect(Array.from(got.topkIds)).toEqual(order.slice(0, k));
      expect(Array.from(got.topkLogits)).toEqual(order.slice(0, k).map((i) => logits[i]));
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
      expect(got.logSumExp).toBeCloseTo(lse, 10);
    }
  });

  it("breaks ties by the lower id and rejects NaN and bad k", () => {
    const got = captureTopk(Float32Array.of(1, 3, 3, 0, 3), 2);
    expect(Array.from(got.topkIds)).toEqual([1, 2]);
    expect(() => captureTopk(Float32Array.of(1, Number.NaN), 1)).toThrow(/logits\[1\] is NaN/);
    expect(() => captureTopk(Float32Array.of(1, 2), 3)).toThrow(/k must be an integer in \[1, 2\]/);
  });
});
