/** Whole-vocabulary reductions over one logits row, in float64 accumulators. */

/** log Σ exp(row): the normaliser that turns raw logits into log-probabilities. */
export function logSumExp(row: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v > max) max = v;
  }
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) - max);
  return max + Math.log(sum);
}

/** Index of the largest value; ties go to the lowest index (as torch.argmax does). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v > max) {
      max = v;
      best = i;
    }
  }
  return best;
}

/** The largest entries of one row, highest first, ties by lower id (from {@link topK} or a TopK kernel). */
export interface RowTop {
  ids: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * What {@link topK} costs on a row of `length` logits, in logits read: the scan, plus about k (1 + ln(length / k))
 * entries that enter the running list, each costing about 32 reads as the list shifts (fitted here: 256
 * logits, k = 5 / 20 / 51 / 128 took 1.1 / 6 / 12 / 25 µs; 152k logits, k = 21 / 51: 400 / 415 µs).
 */
export function topKScanCost(length: number, k: number): number {
  if (k <= 0) return 0;
  if (k >= length) return length * (1 + k);
  return length + 32 * k * (1 + Math.log(length / k));
}

/**
 * The k largest entries, sorted descending (ties: lower id first). A running threshold makes it one
 * comparison per entry for a typical row, so k = 20 over 152k logits costs about as much as a max.
 */
export function topK(row: ArrayLike<number>, k: number): { ids: Int32Array; values: Float64Array } {
  const n = Math.min(k, row.length);
  const ids = new Int32Array(n);
  const values = new Float64Array(n);
  let filled = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (filled === n) {
      const last = values[n - 1] as number;
      if (!(v > last)) continue;
    }
    // Insert keeping descending order; equal values keep the earlier (lower) id first.
    let j = filled < n ? filled++ : n - 1;
    while (j > 0 && (values[j - 1] as number) < v) {
      values[j] = values[j - 1] as number;
      ids[j] = ids[j - 1] as number;
      j--;
    }
    values[j] = v;
    ids[j] = i;
  }
  return { ids, values };
}

/**
 * The k-th largest value of a row (1-based, duplicates counted): what `topK(row, k).values[k - 1]` gives,
 * by quickselect on a copy (linear time, where topK's running list shifts on most entries once k is in the
 * hundreds: k = 1000 over 32k logits took 5 ms). A row holding NaN goes through topK, which orders it as it
 * always has.
 */
export function kthLargest(row: ArrayLike<number>, k: number): number {
  const V = row.length;
  if (!(k >= 1 && k <= V)) throw new RangeError(`kthLargest: k must be in [1, ${V}], found ${k}`);
  const a = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const v = row[i] as number;
    if (Number.isNaN(v)) return topK(row, k).values[k - 1] as number;
    a[i] = v;
  }
  const target = k - 1; // its index once `a` is in descending order
  let lo = 0;
  let hi = V - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) > pivot) i++;
      while ((a[j] as number) < pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break; // between j and i every value equals the pivot
  }
  return a[target] as number;
}

/** Below this many ids a comparison sort is cheaper than the radix passes. */
const RADIX_MIN_IDS = 512;
/** Radix digits of 11 bits: three passes cover a 32-bit key (four of 8 bits were ~25% slower on 32k ids). */
const RADIX_BITS = 11;
const RADIX_BUCKETS = 1 << RADIX_BITS;
const RADIX_MASK = RADIX_BUCKETS - 1;

/**
 * `ids` ordered by their logit in `row`, highest first, equal logits by lower id (the order of
 * transformers' sort for every tie this engine keeps). A comparison sort of 30k ids took 12–15 ms here: on
 * a flat row (a random model, or a high temperature) top-p keeps most of the vocabulary. For float32 rows
 * it is a stable radix sort on the logits' bits instead (~10x faster), exact for every value (-0 sorts as
 * +0; NaN sorts first, as torch.sort does).
 */
export function sortIdsByLogit(row: ArrayLike<number>, ids: readonly number[]): number[] {
  const sorted = orderIdsByLogit(row, Int32Array.from(ids), ids.length);
  const out = new Array<number>(ids.length); // Array.from(typed array) takes the slow iterator path
  for (let j = 0; j < ids.length; j++) out[j] = sorted[j] as number;
  return out;
}

/** Radix sort buffers, reused: top-p sorts up to a vocabulary's worth of ids per row, every row of a step. */
let radix = {
  order: new Int32Array(0),
  nextOrder: new Int32Array(0),
  keys: new Uint32Array(0),
  nextKeys: new Uint32Array(0),
};

/**
 * {@link sortIdsByLogit} on the first `n` of `ids` (any order), as a typed array. The result may be a
 * buffer the next call overwrites: read it (or copy it) before sorting again.
 */
export function orderIdsByLogit(row: ArrayLike<number>, ids: Int32Array, n: number): Int32Array {
  if (!(row instanceof Float32Array) || n < RADIX_MIN_IDS) {
    const list = Array.from(ids.subarray(0, n));
    list.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
    return Int32Array.from(list);
  }
  if (radix.order.length < n) {
    radix = {
      order: new Int32Array(n),
      nextOrder: new Int32Array(n),
      keys: new Uint32Array(n),
      nextKeys: new Uint32Array(n),
    };
  }
  const bits = new Uint32Array(row.buffer, row.byteOffset, row.length);
  // Ascending ids first: the radix passes are stable, so equal logits keep that order.
  let order = radix.order;
  order.set(ids.subarray(0, n));
  let ascending = true;
  for (let j = 1; j < n && ascending; j++) ascending = (order[j - 1] as number) < (order[j] as number);
  if (!ascending) order.subarray(0, n).sort();
  let keys = radix.keys;
  // Three 11-bit digits; their histograms are counted in the same pass that makes the keys.
  const counts = new Int32Array(3 * RADIX_BUCKETS);
  for (let j = 0; j < n; j++) {
    const id = order[j] as number;
    const b = row[id] === 0 ? 0 : (bits[id] as number);
    // IEEE order as an unsigned integer (negatives flipped), then reversed so the largest logit comes first.
    const rising = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    const key = ~rising >>> 0;
    keys[j] = key;
    counts[key & RADIX_MASK] = (counts[key & RADIX_MASK] as number) + 1;
    const mid = RADIX_BUCKETS + ((key >>> RADIX_BITS) & RADIX_MASK);
    counts[mid] = (counts[mid] as number) + 1;
    const top = 2 * RADIX_BUCKETS + (key >>> (2 * RADIX_BITS));
    counts[top] = (counts[top] as number) + 1;
  }
  let nextOrder = radix.nextOrder;
  let nextKeys = radix.nextKeys;
  for (let pass = 0; pass < 3; pass++) {
    const shift = pass * RADIX_BITS;
    const base = pass * RADIX_BUCKETS;
    // Every key with the same digit (logits within a narrow range share their top bits): a stable pass
    // would leave the order as it is.
    if (counts[base + (((keys[0] as number) >>> shift) & RADIX_MASK)] === n) continue;
    let at = 0;
    for (let d = base; d < base + RADIX_BUCKETS; d++) {
      const c = counts[d] as number;
      counts[d] = at;
      at += c;
    }
    for (let j = 0; j < n; j++) {
      const key = keys[j] as number;
      const digit = base + ((key >>> shift) & RADIX_MASK);
      const slot = counts[digit] as number;
      counts[digit] = slot + 1;
      nextKeys[slot] = key;
      nextOrder[slot] = order[j] as number;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }
  return order.subarray(0, n);
}
