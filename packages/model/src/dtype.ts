/**
 * Safetensors element types and float conversions (f16 / bf16 <-> f32). All data is little-endian,
 * as safetensors specifies; typed-array views are used directly, so a big-endian host is refused
 * once at load time instead of decoding garbage.
 */
import { endianness } from "node:os";

export const SAFETENSORS_DTYPES = [
  "F64",
  "F32",
  "F16",
  "BF16",
  "I64",
  "I32",
  "I16",
  "I8",
  "U64",
  "U32",
  "U16",
  "U8",
  "BOOL",
] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The float types we convert to and from float32. */
export type FloatDtype = "F32" | "F16" | "BF16";

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && (SAFETENSORS_DTYPES as readonly string[]).includes(value);
}

function assertLittleEndian(): void {
  if (endianness() !== "LE") {
    throw new Error("@ssb/model: safetensors data is little-endian; this big-endian host is not supported");
  }
}
assertLittleEndian();

// Typed-array views need an aligned byteOffset; copy only when the caller's bytes are misaligned.
function aligned(bytes: Uint8Array, alignment: number): Uint8Array {
  return bytes.byteOffset % alignment === 0 ? bytes : bytes.slice();
}

function viewOf<T>(
  bytes: Uint8Array,
  size: number,
  make: (buffer: ArrayBufferLike, offset: number, length: number) => T,
): T {
  const a = aligned(bytes, size);
  return make(a.buffer, a.byteOffset, a.byteLength / size);
}

// ---- bfloat16: the top 16 bits of a float32 ----

export function bfloat16BitsToFloat32(bits: number): number {
  const u32 = new Uint32Array([(bits & 0xffff) << 16]);
  return new Float32Array(u32.buffer)[0] as number;
}

/** Round to nearest even, as torch does (`tensor.to(torch.bfloat16)`); NaN stays a (quiet) NaN. */
export function float32BitsToBfloat16Bits(bits: number): number {
  const u = bits >>> 0;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0) return ((u >>> 16) | 0x0040) & 0xffff;
  const roundingBias = 0x7fff + ((u >>> 16) & 1);
  return ((u + roundingBias) >>> 16) & 0xffff;
}

// ---- IEEE float16 ----

let f16Table: Float32Array | undefined;

/** All 65536 float16 values as float32 (256 KiB, built on first use): decoding is one lookup. */
function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    let value: number;
    if (exp === 0) value = sign * mant * 2 ** -24;
    else if (exp === 0x1f) value = mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else value = sign * (1 + mant / 1024) * 2 ** (exp - 15);
    table[h] = value;
  }
  f16Table = table;
  return table;
}

export function float16BitsToFloat32(bits: number): number {
  return float16Table()[bits & 0xffff] as number;
}

/** IEEE round to nearest even, with subnormals, overflow to infinity, and NaN kept. */
export function float32BitsToFloat16Bits(bits: number): number {
  const u = bits >>> 0;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or zero): value = m * 2^-24 with m = (1.mant) >> (14 - e).
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the correct rounding (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

// ---- bulk conversions ----

/**
 * Decode little-endian tensor bytes of any supported dtype to float32. F32 bytes that are 4-byte
 * aligned are viewed, not copied; callers that mutate the result should know it shares `bytes`.
 * I64/U64 go through Number (exact below 2^53).
 */
export function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new Error(`toFloat32: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  switch (dtype) {
    case "F32":
      return viewOf(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    case "BF16": {
      const src = viewOf(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
      const out = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) << 16;
      return new Float32Array(out.buffer);
    }
    case "F16": {
      const src = viewOf(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
      const table = float16Table();
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = table[src[i] as number] as number;
      return out;
    }
    case "F64":
      return Float32Array.from(viewOf(bytes, 8, (b, o, n) => new Float64Array(b, o, n)));
    case "I64":
      return Float32Array.from(
        viewOf(bytes, 8, (b, o, n) => new BigInt64Array(b, o, n)),
        Number,
      );
    case "U64":
      return Float32Array.from(
        viewOf(bytes, 8, (b, o, n) => new BigUint64Array(b, o, n)),
        Number,
      );
    case "I32":
      return Float32Array.from(viewOf(bytes, 4, (b, o, n) => new Int32Array(b, o, n)));
    case "U32":
      return Float32Array.from(viewOf(bytes, 4, (b, o, n) => new Uint32Array(b, o, n)));
    case "I16":
      return Float32Array.from(viewOf(bytes, 2, (b, o, n) => new Int16Array(b, o, n)));
    case "U16":
      return Float32Array.from(viewOf(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case "I8":
      return Float32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    case "U8":
    case "BOOL":
      return Float32Array.from(bytes);
  }
}

/** Encode float32 values as F32, F16 or BF16 little-endian bytes (round to nearest even). */
export function fromFloat32(dtype: FloatDtype, values: Float32Array): Uint8Array {
  if (dtype === "F32") {
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  }
  const bits = new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint16Array(values.length);
  const convert = dtype === "BF16" ? float32BitsToBfloat16Bits : float32BitsToFloat16Bits;
  for (let i = 0; i < bits.length; i++) out[i] = convert(bits[i] as number);
  return new Uint8Array(out.buffer);
}

/** Round float32 values through a float dtype and back (what storing them in that dtype does). */
export function roundFloat32To(dtype: FloatDtype, values: Float32Array): Float32Array {
  return dtype === "F32" ? Float32Array.from(values) : toFloat32(dtype, fromFloat32(dtype, values));
}
