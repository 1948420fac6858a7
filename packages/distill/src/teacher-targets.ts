/**
 * The teacher side of the KD losses, computed on the host in float64: the teacher's top-k distribution at
 * temperature T, renormalised over the k ids, or over k ids plus one tail bucket holding the mass outside
 * the top-k. These are constants of the loss (no gradient flows to the teacher).
 */

/** Top-k rows as stored by @ssb/logit-store: raw logits at T = 1 (descending) and the full-vocab log-sum-exp. */
export interface TopkRowsInput {
  k: number;
  /** [R * k] token ids. */
  topkIds: Int32Array | ArrayLike<number>;
  /** [R * k] raw teacher logits (float32 values). */
  topkLogits: Float32Array | ArrayLike<number>;
  /** [R] log-sum-exp over the full vocabulary at T = 1 (needed for the tail bucket only). */
  logSumExp?: Float32Array | ArrayLike<number>;
}

export interface TeacherTargets {
  rows: number;
  k: number;
  /** [R * k] token ids. */
  ids: Int32Array;
  /** [R * k] teacher probabilities at T over the support (top-k, plus the tail when `tail` is set). */
  probs: Float64Array;
  /** [R] tail-bucket probability at T, or null without a tail bucket. */
  tail: Float64Array | null;
  /** [R] sum over the support of p log p (the teacher's negative entropy): a constant of forward KL. */
  negEntropy: Float64Array;
}

/**
 * p_i = softmax(l_i / T) over the k ids. With `tail`: the k ids plus a (k+1)-th category whose T = 1 mass is
 * 1 - sum_i exp(l_i - lse); at temperature T it is treated as one pseudo-token with logit
 * log(tail mass) + lse, scaled by 1/T like the others (exact at T = 1, a lower bound of the tail for T > 1,
 * because the individual tail logits are not stored). The student's tail is built the same way
 * (studentSupportLogProbs), so both sides are the same function of their T = 1 distributions.
 */
export function teacherTargets(input: TopkRowsInput, temperature: number, tail = false): TeacherTargets {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new Error(`temperature must be a finite number > 0, found ${temperature}`);
  }
  const { k } = input;
  const rows = input.topkLogits.length / k;
  if (!Number.isInteger(rows) || input.topkIds.length !== rows * k) {
    throw new Error(
      `top-k rows: ${input.topkIds.length} ids and ${input.topkLogits.length} logits do not form rows of k = ${k}`,
    );
  }
  if (tail && (!input.logSumExp || input.logSumExp.length !== rows)) {
    throw new Error(`the tail bucket needs logSumExp for each of the ${rows} rows`);
  }
  const ids = Int32Array.from(input.topkIds);
  const probs = new Float64Array(rows * k);
  const tailProbs = tail ? new Float64Array(rows) : null;
  const negEntropy = new Float64Array(rows);
  const scaled = new Float64Array(k + 1);
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      const v = (input.topkLogits[r * k + i] as number) / temperature;
      scaled[i] = v;
      if (v > max) max = v;
    }
    let n = k;
    if (tailProbs && input.logSumExp) {
      const lse = input.logSumExp[r] as number;
      let topMass = 0;
      for (let i = 0; i < k; i++) topMass += Math.exp((input.topkLogits[r * k + i] as number) - lse);
      const tailMass = 1 - topMass;
      // A tail that rounding made zero or negative carries no mass.
      scaled[k] = tailMass > 0 ? (Math.log(tailMass) + lse) / temperature : Number.NEGATIVE_INFINITY;
      if (scaled[k] > max) max = scaled[k] as number;
      n = k + 1;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp((scaled[i] as number) - max);
    const logZ = max + Math.log(sum);
    let ne = 0;
    for (let i = 0; i < n; i++) {
      const logP = (scaled[i] as number) - logZ;
      const p = Math.exp(logP);
      if (i < k) probs[r * k + i] = p;
      else if (tailProbs) tailProbs[r] = p;
      if (p > 0) ne += p * logP;
    }
    negEntropy[r] = ne;
  }
  return { rows, k, ids, probs, tail: tailProbs, negEntropy };
}

/** Dense [R, V] matrix with the teacher probabilities scattered at their ids (zeros elsewhere). */
export function denseTeacherProbs(targets: TeacherTargets, vocabSize: number): Float32Array {
  const dense = new Float32Array(targets.rows * vocabSize);
  for (let r = 0; r < targets.rows; r++) {
    for (let i = 0; i < targets.k; i++) {
      const id = targets.ids[r * targets.k + i] as number;
      dense[r * vocabSize + id] =
        (dense[r * vocabSize + id] as number) + (targets.probs[r * targets.k + i] as number);
    }
  }
  return dense;
}

/** Dense [R, V] 0/1 mask of the top-k ids of each row. */
export function denseTopkMask(targets: TeacherTargets, vocabSize: number): Float32Array {
  const mask = new Float32Array(targets.rows * vocabSize);
  for (let r = 0; r < targets.rows; r++) {
    for (let i = 0; i < targets.k; i++) mask[r * vocabSize + (targets.ids[r * targets.k + i] as number)] = 1;
  }
  return mask;
}
