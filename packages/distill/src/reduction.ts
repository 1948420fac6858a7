/**
 * How per-row losses become one number. "token": mean over every reply position of the (effective) batch,
 * the paper's choice (long replies weigh more). "sequence": mean over a sequence's positions, then over the
 * sequences. Weights are computed for the whole effective batch, so gradient accumulation over micro-batches
 * gives the same gradient as one large batch.
 */
export type Reduction = "token" | "sequence";

/** One weight per row, for sequences with `lengths` reply rows (in row order); the weights sum to 1. */
export function rowWeights(lengths: readonly number[], reduction: Reduction): Float32Array {
  const total = lengths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(total);
  let r = 0;
  for (const n of lengths) {
    const w = reduction === "token" ? 1 / total : 1 / (lengths.length * n);
    out.fill(w, r, r + n);
    r += n;
  }
  return out;
}
