/**
 * Unbiased pass@k (Chen et al., 2021, "Evaluating Large Language Models Trained on Code", eq. 1): with n samples
 * of which c are correct, the probability that a random k-subset holds at least one correct sample is
 * 1 - C(n-c, k) / C(n, k). Evaluated as a product of k ratios, never with factorials, so n = 10,000 is fine.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) {
    throw new RangeError(`passAtK: n, c, k must be integers (got n=${n}, c=${c}, k=${k})`);
  }
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) {
    throw new RangeError(`passAtK: need 1 <= k <= n and 0 <= c <= n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  // C(n-c, k) / C(n, k) = prod_{i=0}^{k-1} (n-c-i) / (n-i)
  let fail = 1;
  for (let i = 0; i < k; i++) fail *= (n - c - i) / (n - i);
  return 1 - fail;
}

/** The k values a summary reports for n samples: 1, 2, 4, 8, ... below n, and n itself. */
export function defaultKs(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k < n; k *= 2) ks.push(k);
  if (n >= 1) ks.push(n);
  return ks;
}
