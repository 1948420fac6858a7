import { describe, expect, it } from "vitest";
import {
  float16BitsToFloat32,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
  fromFloat32,
  roundFloat32To,
  toFloat32,
} from "./dtype.js";

const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0] as number;
const f32 = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0] as number;

describe("float16", () => {
  it("round-trips every finite float16 bit pattern through float32", () => {
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const value = float16BitsToFloat32(h);
      if (!Number.isNaN(value) && float32BitsToFloat16Bits(bitsOf(value)) !== h) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });

  it("rounds to nearest even between neighbours, incl. subnormals and overflow", () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even mantissa (1.0).
    expect(float32BitsToFloat16Bits(bitsOf(1 + 2 ** -11))).toBe(0x3c00);
    // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): up.
    expect(float32BitsToFloat16Bits(bitsOf(1 + 3 * 2 ** -11))).toBe(0x3c02);
    expect(float32BitsToFloat16Bits(bitsOf(1 + 2 ** -11 + 2 ** -20))).toBe(0x3c01);
    expect(float32BitsToFloat16Bits(bitsOf(2 ** -25))).toBe(0); // halfway to the smallest subnormal: even (0)
    expect(float32BitsToFloat16Bits(bitsOf(2 ** -25 * 1.5))).toBe(1);
    expect(float32BitsToFloat16Bits(bitsOf(3 * 2 ** -25))).toBe(2); // 1.5 ulp ties to even (2)
    expect(float32BitsToFloat16Bits(bitsOf(65504))).toBe(0x7bff);
    expect(float32BitsToFloat16Bits(bitsOf(65520))).toBe(0x7c00); // rounds up to infinity
    expect(float32BitsToFloat16Bits(bitsOf(-1e6))).toBe(0xfc00);
    expect(float32BitsToFloat16Bits(bitsOf(-0))).toBe(0x8000);
    expect(Number.isNaN(float16BitsToFloat32(float32BitsToFloat16Bits(bitsOf(Number.NaN))))).toBe(true);
  });
});

describe("bfloat16", () => {
  it("rounds to nearest even and keeps NaN", () => {
    expect(float32BitsToBfloat16Bits(0x3f808000)).toBe(0x3f80); // tie, even stays
    expect(float32BitsToBfloat16Bits(0x3f818000)).toBe(0x3f82); // tie, odd rounds up
    expect(float32BitsToBfloat16Bits(0x3f808001)).toBe(0x3f81);
    expect(float32BitsToBfloat16Bits(0x7f7fffff)).toBe(0x7f80); // max float rounds to inf (as torch)
    expect(Number.isNaN(f32(float32BitsToBfloat16Bits(0x7f800001) << 16))).toBe(true);
  });

  it("decodes as bits << 16", () => {
    const bytes = new Uint8Array([0x80, 0x3f, 0x40, 0xc0]);
    expect(Array.from(toFloat32("BF16", bytes))).toEqual([1, -3]);
  });
});

describe("bulk conversion", () => {
  it("encodes and decodes F32/F16/BF16 and integer dtypes", () => {
    const values = new Float32Array([0, 1, -2.5, Math.PI, 1e-3, 65504, -0.0001]);
    expect(toFloat32("F32", fromFloat32("F32", values))).toEqual(values);
    for (const dtype of ["F16", "BF16"] as const) {
      const back = roundFloat32To(dtype, values);
      const relTol = dtype === "F16" ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        expect(Math.abs((back[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * relTol + 1e-7);
      }
    }
    expect(Array.from(toFloat32("I64", new Uint8Array(new BigInt64Array([-5n, 7n]).buffer)))).toEqual([
      -5, 7,
    ]);
    expect(Array.from(toFloat32("I32", new Uint8Array(new Int32Array([-5, 7]).buffer)))).toEqual([-5, 7]);
    expect(Array.from(toFloat32("U8", new Uint8Array([0, 255])))).toEqual([0, 255]);
    // misaligned input is copied, not mis-viewed
    const buf = new Uint8Array(9);
    buf.set(new Uint8Array(new Float32Array([1.5, -2]).buffer), 1);
    expect(Array.from(toFloat32("F32", buf.subarray(1)))).toEqual([1.5, -2]);
  });
});
