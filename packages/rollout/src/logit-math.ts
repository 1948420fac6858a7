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
