import { describe, expect, it } from "vitest";
import {
  float16BitsToFloat32,
  float16Table,
  float32ArrayToFloat16Bits,
  float32ToFloat16Bits,
} from "./float16.js";

describe("float16", () => {
  it("round-trips every float16 bit pattern (NaN stays NaN)", () => {
    const t = float16Table();
    for (let h = 0; h < 65536; h++) {
      const v = t[h]!;
      if (Number.isNaN(v)) expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(v)))).toBe(true);
      else expect(float32ToFloat16Bits(v)).toBe(h);
    }
  });

  it("rounds to nearest, ties to even, including subnormals and overflow", () => {
    const t = float16Table();
    // Midpoints between consecutive positive finite halves are exact in float32.
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (t[h]! + t[h + 1]!) / 2;
      const expected = h % 2 === 0 ? h : h + 1;
      expect(float32ToFloat16Bits(mid)).toBe(expected);
      expect(float32ToFloat16Bits(-mid)).toBe(expected | 0x8000);
    }
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // rounds up to Infinity
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e-9)).toBe(0);
    expect(float32ToFloat16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
  });

  it("bulk conversion matches the scalar one on random bit patterns and on every rounding midpoint", () => {
    const t = float16Table();
    const mids = new Float32Array(2 * 0x7bff);
    for (let h = 0; h < 0x7bff; h++) {
      mids[2 * h] = (t[h]! + t[h + 1]!) / 2;
      mids[2 * h + 1] = -mids[2 * h]!;
    }
    const random = new Uint32Array(200_000);
    let x = 12345;
    for (let i = 0; i < random.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      random[i] = x;
    }
    for (const xs of [mids, new Float32Array(random.buffer)]) {
      const bulk = float32ArrayToFloat16Bits(xs);
      for (let i = 0; i < xs.length; i++) {
        if (bulk[i] !== float32ToFloat16Bits(xs[i]!))
          expect([i, xs[i], bulk[i]]).toEqual([i, xs[i], float32ToFloat16Bits(xs[i]!)]);
      }
    }
  });

  it("bulk conversion accepts plain arrays", () => {
    const xs = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 40);
    const bits = float32ArrayToFloat16Bits(xs);
    xs.forEach((x, i) => {
      expect(bits[i]).toBe(float32ToFloat16Bits(x));
    });
    expect(float32ArrayToFloat16Bits(Array.from(xs))).toEqual(bits);
  });
});
