/**
 * Unbiased pass@k (Chen et al., 2021, "Evaluating Large Language Models Trained on Code"): with n samples of
 * which c are correct, pass@k = 1 - C(n-c, k) / C(n, k). Computed as a running product, never with factorials,
 * so it stays exact-ish for large n.
 */

export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) {
    throw new RangeError(`passAtK: n, c, k must be integers (got n=${n}, c=${c}, k=${k})`);
  }
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) {
    throw new RangeError(`passAtK: need 1 <= k <= n and 0 <= c <= n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** pass@k of one group of samples, given which of them were correct. */
export function groupPassAtK(correct: readonly boolean[], k: number): number {
  return passAtK(correct.length, correct.filter(Boolean).length, k);
}
