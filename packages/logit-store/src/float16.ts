// IEEE 754 binary16 <-> binary32 conversion. Node 20 has neither Math.f16round nor Float16Array, and the Arrow
// float16 column stores raw bits in a Uint16Array, so we convert by bit manipulation.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Bits of the float16 nearest to `value` (round half to even; overflow gives ±Infinity, NaN stays NaN). */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const bits = scratchU32[0]!;
  return bitsF32ToF16(bits);
}

function bitsF32ToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const halfExp = exp - 112; // rebias 127 -> 15
  if (halfExp >= 0x1f) return sign | 0x7c00;
  if (halfExp <= 0) {
    // Result is subnormal (or zero): shift the full 24-bit significand down to units of 2^-24.
    if (halfExp < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - halfExp;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = sign | (halfExp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Infinity at the top).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return half;
}

/** Value of a float16 given its bits. */
export function float16BitsToFloat32(bits: number): number {
  return float16Table()[bits & 0xffff]!;
}

let table: Float32Array | undefined;

/** All 65,536 float16 values as float32, built once (256 KiB) so bulk decoding is a table lookup. */
export function float16Table(): Float32Array {
  if (table) return table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) t[h] = mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  table = t;
  return t;
}

/** Converts float32 values to float16 bits, writing into `out` (allocated when absent). */
export function float32ArrayToFloat16Bits(values: ArrayLike<number>, out?: Uint16Array): Uint16Array {
  const dst = out ?? new Uint16Array(values.length);
  if (values instanceof Float32Array) {
    // Bits read through an Int32 view stay small integers in V8 (a Uint32 view would box values >= 2^31).
    const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      const a = b & 0x7fffffff;
      if (a >= 0x38800000 && a < 0x47800000) {
        // Normal float16 range: rebias the exponent and round half to even in one integer add
        // (0xfff plus the lowest kept mantissa bit); a carry correctly overflows into the exponent.
        dst[i] = ((b >>> 16) & 0x8000) | ((a - 0x37fff001 + ((a >> 13) & 1)) >> 13);
      } else {
        dst[i] = bitsF32ToF16(b >>> 0);
      }
    }
  } else {
    for (let i = 0; i < values.length; i++) dst[i] = float32ToFloat16Bits(values[i]!);
  }
  return dst;
}

/** Decodes float16 bits to float32 values, writing into `out` (allocated when absent). */
export function float16BitsToFloat32Array(bits: ArrayLike<number>, out?: Float32Array): Float32Array {
  const t = float16Table();
  const dst = out ?? new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) dst[i] = t[bits[i]! & 0xffff]!;
  return dst;
}
