import { describe, expect, it } from "vitest";
import { mulberry32 } from "../test/synthetic-logits.js";
import { float16BitsToFloat32 } from "./float16.js";
import { decodeLogitSteps, encodeLogitSteps, float16FromOrder, float16Order } from "./logit-steps.js";

describe("float16 logit steps (format 2)", () => {
  it("orders every non-NaN float16 bit pattern by value, and inverts", () => {
    const finite: number[] = [];
    const bad: string[] = [];
    for (let b = 0; b < 0x10000; b++) {
      if (Number.isNaN(float16BitsToFloat32(b))) continue;
      if (b !== 0x8000 && float16FromOrder(float16Order(b)) !== b) bad.push(`inverse of ${b}`);
      finite.push(b);
    }
    finite.sort((a, b) => float16Order(a) - float16Order(b));
    for (let i = 1; i < finite.length; i++) {
      if (float16BitsToFloat32(finite[i]!) < float16BitsToFloat32(finite[i - 1]!)) bad.push(`order at ${i}`);
    }
    expect(bad).toEqual([]);
    expect(finite).toHaveLength(0x10000 - 2 * 1023);
    // -0 and +0 share a rank; +inf and -inf are the ends.
    expect(float16Order(0x8000)).toBe(float16Order(0x0000));
    expect(float16Order(0x7c00) - float16Order(0xfc00)).toBeLessThan(0x10000);
  });

  it("round-trips sorted rows exactly: signs, zero crossings, subnormals, -inf; -0 reads back as +0", () => {
    const rand = mulberry32(7);
    const k = 20;
    const n = 2000;
    const bits = new Uint16Array(n * k);
    for (let t = 0; t < n; t++) {
      // Random non-NaN patterns, sorted descending by value: rows span the whole float16 range.
      const row = Array.from({ length: k }, () => {
        let b: number;
        do b = Math.floor(rand() * 0x10000);
        while (Number.isNaN(float16BitsToFloat32(b)));
        return b;
      }).sort((a, b) => float16Order(b) - float16Order(a));
      bits.set(row, t * k);
    }
    // +0, -0, -0, the smallest negative subnormal, -1, then -inf.
    bits.set([0x0000, 0x8000, 0x8000, 0x8001, 0xbc00, ...new Array<number>(k - 5).fill(0xfc00)], 0);
    const { top, steps } = encodeLogitSteps(bits, n, k);
    for (let t = 0; t < n; t++) expect(steps[t * k]).toBe(0);
    const back = decodeLogitSteps(top, steps, n, k);
    const want = bits.map((b) => (b === 0x8000 ? 0 : b));
    expect(Array.from(back)).toEqual(Array.from(want));
  });

  it("refuses unsorted rows and steps below -inf", () => {
    expect(() => encodeLogitSteps(Uint16Array.of(0x3c00, 0x4000), 1, 2)).toThrow(/not sorted/);
    expect(() => decodeLogitSteps(Uint16Array.of(0xfc00), Uint16Array.of(0, 1), 1, 2)).toThrow(/below/);
  });
});
