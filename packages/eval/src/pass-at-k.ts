/**
 * Unbiased pass@k (Chen et al., 2021) is @ssb/curation's `passAtK` (one implementation in the project, used
 * for RLVR group statistics there and for reports here); eval adds the k values a summary reports.
 */
export { passAtK } from "@ssb/curation";

/** The k values a summary reports for n samples: 1, 2, 4, 8, ... below n, and n itself. */
export function defaultKs(n: number): number[] {
  // A fractional n gave [1, 2, 2.5]: pass@2.5 is meaningless.
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(
      `defaultKs: n must be a non-negative integer sample count (got ${typeof n === "number" ? n : `${typeof n} ${JSON.stringify(n)}`})`,
    );
  }
  const ks: number[] = [];
  for (let k = 1; k < n; k *= 2) ks.push(k);
  if (n >= 1) ks.push(n);
  return ks;
}
