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

/**
 * Encodes n rows of k float16 logits (bits, each row non-increasing) into fresh buffers.
 *
 * Within one sign the bit patterns are already in order (ascending for positive values, descending for negative
 * ones), so rows that do not cross zero, nearly all of them, take a plain subtraction; only rows that cross
 * zero go through the rank tables.
 */
export function encodeLogitSteps(bits: Uint16Array, n: number, k: number): LogitSteps {
  const top = new Uint16Array(n);
  const steps = new Uint16Array(n * k);
  for (let t = 0, base = 0; t < n; t++, base += k) {
    const first = bits[base]!;
    top[t] = first;
    // Positive patterns grow with the value and negative ones shrink, so a step is a difference of patterns. The
    // OR of the differences turns negative if one is (the row crosses zero, holds -0, or is unsorted): then the
    // ranks decide. No branch in the inner loops.
    let any = first === 0x8000 ? -1 : 0;
    let prev = first;
    if (first < 0x8000) {
      for (let j = base + 1, end = base + k; j < end; j++) {
        const cur = bits[j]!;
        const d = prev - cur;
        steps[j] = d;
        any |= d;
        prev = cur;
      }
    } else {
      for (let j = base + 1, end = base + k; j < end; j++) {
        const cur = bits[j]!;
        const d = cur - prev;
        steps[j] = d;
        any |= d;
        prev = cur;
      }
    }
    if (any < 0) encodeRowByRank(bits, base, k, top, t, steps);
  }
  return { top, steps };
}

function unsorted(row: number): RangeError {
  // The writer checks that rows are sorted, so this only fires on a caller bypassing that check.
  return new RangeError(`row ${row}: float16 logits not sorted descending`);
}

function encodeRowByRank(
  bits: Uint16Array,
  base: number,
  k: number,
  top: Uint16Array,
  t: number,
  steps: Uint16Array,
): void {
  const { order, bits: fromOrder } = lookupTables();
  let prev = order[bits[base]!]!;
  top[t] = fromOrder[prev]!;
  for (let j = 1; j < k; j++) {
    const cur = order[bits[base + j]!]!;
    const step = prev - cur;
    if (step < 0) throw unsorted(t);
    steps[base + j] = step;
    prev = cur;
  }
}

/** Decodes rows back to float16 bits (n * k, row-major), into `out` when given; same fast paths as encoding. */
export function decodeLogitSteps(
  top: Uint16Array,
  steps: Uint16Array,
  n: number,
  k: number,
  out: Uint16Array = new Uint16Array(n * k),
): Uint16Array {
  for (let t = 0, base = 0; t < n; t++, base += k) {
    const first = top[t]!;
    let b = first;
    out[base] = b;
    if (first < 0x8000) {
      for (let j = base + 1, end = base + k; j < end; j++) {
        b -= steps[j]!;
        out[j] = b;
      }
      // Went below +0: the row crosses zero (or is damaged); redo it through the ranks.
      if (b < 0) decodeRowByRank(top, steps, t, base, k, out);
    } else {
      for (let j = base + 1, end = base + k; j < end; j++) {
        b += steps[j]!;
        out[j] = b;
      }
      // Past -inf (0xfc00), or a -0 top: ranks decide (and report a damaged row).
      if (b > 0xfc00 || first === 0x8000) decodeRowByRank(top, steps, t, base, k, out);
    }
  }
  return out;
}

function decodeRowByRank(
  top: Uint16Array,
  steps: Uint16Array,
  t: number,
  base: number,
  k: number,
  out: Uint16Array,
): void {
  const { order: toOrder, bits } = lookupTables();
  let order = toOrder[top[t]!]!;
  out[base] = bits[order]!;
  for (let j = 1; j < k; j++) {
    order -= steps[base + j]!;
    // Ranks only fall along a row; a negative one would wrap around the table, so check before the lookup.
    if (order < 0) break;
    out[base + j] = bits[order]!;
  }
  // Only a damaged file steps below -inf (into NaN patterns, or below rank 0); the reader names the file.
  if (order < NEG_INF_ORDER) throw new RangeError(`row ${t}: logit steps go below the lowest float16 (-inf)`);
}
