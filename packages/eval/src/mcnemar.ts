/**
 * McNemar's test for two single-sample runs on the same problems. Only the discordant problems carry
 * information: b = right in A only, c = right in B only. Under H0 (equal accuracy) b ~ Binomial(b + c, 1/2).
 * The exact binomial test is used for any number of discordant pairs: it costs O(min(b, c)). The chi-square
 * statistic with continuity correction (its large-sample approximation) is used only from an `exactBelow` the
 * caller passes. It used to take over from 25 discordant pairs, where it is far off for unbalanced counts:
 * 0 vs 30 gave p = 1.2e-7 for the exact 1.9e-9, 0 vs 100 gave 4.2e-23 for 1.6e-30.
 */

export interface McNemarResult {
  /** Right in A, wrong in B. */
  onlyA: number;
  /** Wrong in A, right in B. */
  onlyB: number;
  method: "exact-binomial" | "chi-square-cc";
  /** The chi-square statistic (chi-square method only). */
  statistic?: number;
  /** Two-sided p-value. */
  pValue: number;
}

/** log C(n, k) via a sum of logs: exact enough for n up to millions and no overflow. */
function logChoose(n: number, k: number): number {
  let s = 0;
  const m = Math.min(k, n - k);
  for (let i = 0; i < m; i++) s += Math.log(n - i) - Math.log(i + 1);
  return s;
}

/**
 * Counts must be non-negative integers of type number: a string "10" made `b + c` concatenate ("105"), and
 * negative, fractional or NaN counts gave a p-value that looked valid.
 */
function checkCount(fn: string, name: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    throw new RangeError(
      `${fn}: ${name} must be a non-negative integer count (got ${typeof value === "number" ? "" : `${typeof value} `}${shown})`,
    );
  }
}

/** Two-sided exact binomial p-value for p = 1/2: 2 * P(X <= min(b, c)), capped at 1. */
export function exactBinomialTwoSided(b: number, c: number): number {
  checkCount("exactBinomialTwoSided", "b", b);
  checkCount("exactBinomialTwoSided", "c", c);
  const n = b + c;
  if (n === 0) return 1;
  const m = Math.min(b, c);
  let tail = 0;
  if (n <= 1000) {
    // Running product C(n, k) / 2^n: exact to rounding (2^-1000 is still a normal double).
    let term = 2 ** -n;
    for (let k = 0; k <= m; k++) {
      tail += term;
      term = (term * (n - k)) / (k + 1);
    }
    return Math.min(1, 2 * tail);
  }
  // 2^-n underflows: the largest term, P(X = m), in logs, then the smaller ones as ratios to it, walking down
  // (P(X = k - 1) / P(X = k) = k / (n - k + 1)) until they no longer change the sum. O(m), where a sum of
  // logChoose(n, k) for every k was O(m^2).
  let ratio = 1; // P(X = k) / P(X = m), from k = m down
  for (let k = m; ; k--) {
    tail += ratio;
    if (k === 0 || ratio < 1e-17) break;
    ratio = (ratio * k) / (n - k + 1);
  }
  return Math.min(1, 2 * tail * Math.exp(logChoose(n, m) - n * Math.LN2));
}

/** Complementary error function (Numerical Recipes' erfcc, fractional error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Survival function of chi-square with 1 degree of freedom: P(X > x) = erfc(sqrt(x / 2)). */
export function chiSquare1Sf(x: number): number {
  if (x <= 0) return 1;
  return erfc(Math.sqrt(x / 2));
}

/**
 * `exactBelow`: use the chi-square approximation from this many discordant pairs on (default: never; the exact
 * test is cheap for any count).
 */
export function mcnemarTest(
  onlyA: number,
  onlyB: number,
  exactBelow = Number.POSITIVE_INFINITY,
): McNemarResult {
  checkCount("mcnemarTest", "onlyA", onlyA);
  checkCount("mcnemarTest", "onlyB", onlyB);
  if (typeof exactBelow !== "number" || Number.isNaN(exactBelow)) {
    throw new RangeError(`mcnemarTest: exactBelow must be a number (got ${String(exactBelow)})`);
  }
  const n = onlyA + onlyB;
  if (n < exactBelow) {
    return { onlyA, onlyB, method: "exact-binomial", pValue: exactBinomialTwoSided(onlyA, onlyB) };
  }
  const d = Math.max(0, Math.abs(onlyA - onlyB) - 1);
  const statistic = (d * d) / n;
  return { onlyA, onlyB, method: "chi-square-cc", statistic, pValue: chiSquare1Sf(statistic) };
}
