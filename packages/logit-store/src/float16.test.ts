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

  it("bulk conversion matches the scalar one", () => {
    const xs = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 40);
    const bits = float32ArrayToFloat16Bits(xs);
    xs.forEach((x, i) => {
      expect(bits[i]).toBe(float32ToFloat16Bits(x));
    });
    expect(float32ArrayToFloat16Bits(Array.from(xs))).toEqual(bits);
  });
});
