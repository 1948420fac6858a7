/**
 * Unbiased pass@k (Chen et al., 2021, "Evaluating Large Language Models Trained on Code"): with n samples of
 * which c are correct, pass@k = 1 - C(n-c, k) / C(n, k). Computed as a running product, never with factorials,
 * so it stays exact-ish for large n. This is the numerically stable form of Chen et al.'s own code,
 * 1 - prod_{i=n-c+1}^{n} (1 - k / i). Unlike that code, k > n is refused rather than answered 1: with fewer
 * samples than k there is no estimate.
 */
import { describe } from "./parse-records.js";

export function passAtK(n: number, c: number, k: number): number {
  for (const [name, value] of [
    ["n", n],
    ["c", c],
    ["k", k],
  ] as const) {
    // A string "1" would print as 1 in the message below and look valid.
    if (!Number.isInteger(value))
      throw new RangeError(`passAtK: ${name} must be an integer, found ${describe(value)}`);
  }
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) {
    throw new RangeError(`passAtK: need 1 <= k <= n and 0 <= c <= n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  if (c === 0) return 0;
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i). 1 - product is exact for the usual small cases
  // (pass@1 of 1 in 4 is 0.25) but loses the digits of a small pass@k (n = 1e6, c = 1: ~1e-10 relative), where
  // -expm1(sum of log1p) keeps them.
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  if (1 - fail >= 1e-3) return 1 - fail;
  let logFail = 0;
  for (let i = n - c + 1; i <= n; i++) logFail += Math.log1p(-k / i);
  return -Math.expm1(logFail);
}

/**
 * pass@k of one group of samples, given which of them were correct (booleans: `groupRewards(...).correct`).
 * Anything else is refused, naming its index: rewards such as 0.5 or verdict strings such as "wrong" would
 * otherwise count as correct.
 */
export function groupPassAtK(correct: readonly boolean[], k: number): number {
  const where = "groupPassAtK";
  if (!Array.isArray(correct))
    throw new TypeError(`${where}: correct must be an array of booleans, found ${describe(correct)}`);
  let c = 0;
  for (let i = 0; i < correct.length; i++) {
    const v: unknown = correct[i];
    if (typeof v !== "boolean")
      throw new TypeError(`${where}: correct[${i}] must be true or false, found ${describe(v)}`);
    if (v) c++;
  }
  if (Number.isInteger(k) && k >= 1 && k > correct.length) {
    throw new RangeError(
      `${where}: k = ${k} is more than the group's ${correct.length} samples (pass@k needs k <= n)`,
    );
  }
  return passAtK(correct.length, c, k);
}
