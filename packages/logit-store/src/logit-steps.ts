/**
 * The format-2 encoding of float16 top-k logits: per row, the top logit as float16 and, for every entry, the
 * number of float16 values between it and the entry before it ("steps", UInt16; 0 for entry 0).
 *
 * Why: a row's logits are sorted descending, so consecutive gaps are small, but as float16 numbers every entry
 * still carries a full, random-looking 10-bit mantissa that ZSTD cannot shrink. Counting steps in float16 order
 * turns a gap into a small integer (a gap of 0.3 at magnitude 20 is 19 steps), which ZSTD codes in about half the
 * bytes. It is exact: decoding gives back the same float16 bits, except that negative zero becomes zero (the two
 * compare equal, and collapsing them keeps every step non-negative). Any two float16 values are fewer than 2^16
 * steps apart, so a step always fits in a UInt16.
 */

/** A float16 bit pattern's rank in numeric order (-inf lowest, +inf highest; -0 and +0 share a rank). */
export function float16Order(bits: number): number {
  if (bits === 0x8000) return 0x8000;
  return bits & 0x8000 ? 0x7fff - (bits & 0x7fff) : 0x8000 + bits;
}

/** Inverse of float16Order (rank 0x8000 gives +0). */
export function float16FromOrder(order: number): number {
  return order >= 0x8000 ? order - 0x8000 : 0x8000 | (0x7fff - order);
}

/** Rank of -inf: the lowest rank a logit can have (ranks below it are NaN patterns). */
const NEG_INF_ORDER = 0x7fff - 0x7c00;

/** Lookup tables (128 KiB each) for the inner loops, which run once per stored entry; built on first use. */
let tables: { order: Uint16Array; bits: Uint16Array } | undefined;
function lookupTables(): { order: Uint16Array; bits: Uint16Array } {
  if (!tables) {
    const order = new Uint16Array(0x10000);
    const bits = new Uint16Array(0x10000);
    for (let i = 0; i < 0x10000; i++) {
      order[i] = float16Order(i);
      bits[i] = float16FromOrder(i);
    }
    tables = { order, bits };
  }
  return tables;
}

export interface LogitSteps {
  /** n float16 bit patterns: each row's first (largest) logit. */
  top: Uint16Array;
  /** n * k steps, row-major; entry 0 of every row is 0. */
  steps: Uint16Array;
}

/** Encodes n rows of k float16 logits (bits, each row non-increasing) into fresh buffers. */
export function encodeLogitSteps(bits: Uint16Array, n: number, k: number): LogitSteps {
  const { order, bits: fromOrder } = lookupTables();
  const top = new Uint16Array(n);
  const steps = new Uint16Array(n * k);
  for (let t = 0, base = 0; t < n; t++, base += k) {
    let prev = order[bits[base]!]!;
    top[t] = fromOrder[prev]!;
    for (let j = 1; j < k; j++) {
      const cur = order[bits[base + j]!]!;
      const step = prev - cur;
      // The writer checks that rows are sorted, so this only fires on a caller bypassing that check.
      if (step < 0) throw new RangeError(`row ${t}: float16 logits not sorted descending at entry ${j}`);
      steps[base + j] = step;
      prev = cur;
    }
  }
  return { top, steps };
}

/** Decodes rows back to float16 bits (n * k, row-major), into `out` when given. */
export function decodeLogitSteps(
  top: Uint16Array,
  steps: Uint16Array,
  n: number,
  k: number,
  out: Uint16Array = new Uint16Array(n * k),
): Uint16Array {
  const { order: toOrder, bits } = lookupTables();
  for (let t = 0, base = 0; t < n; t++, base += k) {
    let order = toOrder[top[t]!]!;
    out[base] = bits[order]!;
    for (let j = 1; j < k; j++) {
      order -= steps[base + j]!;
      // Ranks only fall along a row; a negative one would wrap around the table, so check before the lookup.
      if (order < 0) break;
      out[base + j] = bits[order]!;
    }
    // Only a damaged file steps below -inf (into NaN patterns, or below rank 0); the reader names the file.
    if (order < NEG_INF_ORDER) {
      throw new RangeError(`row ${t}: logit steps go below the lowest float16 (-inf)`);
    }
  }
  return out;
}
