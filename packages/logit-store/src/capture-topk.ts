import { LogitStoreError } from "./errors.js";

/** One token's row, ready for `writer.append`: the k largest logits (descending), their ids, and log-sum-exp. */
export interface CapturedTopk {
  topkIds: Int32Array;
  topkLogits: Float32Array;
  logSumExp: number;
}

/**
 * Extracts a store row from a full-vocabulary logit vector: the k largest logits, highest first (ties broken
 * by the lower token id, so the result is deterministic), and the log-sum-exp over all of `logits`, computed in
 * float64 around the maximum. A size-k min-heap keeps this O(V log k) without sorting the vocabulary.
 */
export function captureTopk(logits: Float32Array, k: number): CapturedTopk {
  const v = logits.length;
  if (!Number.isInteger(k) || k < 1 || k > v) {
    throw new LogitStoreError(`captureTopk: k must be an integer in [1, ${v}], found ${k}`);
  }
  // heap[0] is the smallest of the current top k ("smaller" = lower logit, or equal logit and higher id).
  const heap = new Int32Array(k);
  let size = 0;
  const less = (a: number, b: number) => logits[a]! < logits[b]! || (logits[a] === logits[b] && a > b);
  const siftDown = (from: number) => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && less(heap[l]!, heap[m]!)) m = l;
      if (r < size && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      const t = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = t;
      i = m;
    }
  };
  let max = Number.NEGATIVE_INFINITY;
  let threshold = Number.NEGATIVE_INFINITY;
  for (let id = 0; id < v; id++) {
    const x = logits[id]!;
    if (Number.isNaN(x)) throw new LogitStoreError(`captureTopk: logits[${id}] is NaN`);
    if (x > max) max = x;
    if (size < k) {
      heap[size] = id;
      size++;
      // Sift up.
      let i = size - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!less(heap[i]!, heap[p]!)) break;
        const t = heap[i]!;
        heap[i] = heap[p]!;
        heap[p] = t;
        i = p;
      }
      if (size === k) threshold = logits[heap[0]!]!;
    } else if (x >= threshold && less(heap[0]!, id)) {
      // Most of the vocabulary fails the cheap `x >= threshold` test and never reaches the heap.
      heap[0] = id;
      siftDown(0);
      threshold = logits[heap[0]!]!;
    }
  }
  if (max === Number.POSITIVE_INFINITY) throw new LogitStoreError("captureTopk: logits contain +Infinity");
  let sum = 0;
  for (let id = 0; id < v; id++) sum += Math.exp(logits[id]! - max);
  const ids = Array.from(heap).sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0));
  return {
    topkIds: Int32Array.from(ids),
    topkLogits: Float32Array.from(ids, (id) => logits[id]!),
    logSumExp: max + Math.log(sum),
  };
}
