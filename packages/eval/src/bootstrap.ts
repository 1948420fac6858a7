/**
 * Percentile bootstrap over problems. Problems are the unit of resampling because samples of one problem are
 * correlated (an easy problem is right in most of its samples); resampling samples would understate the width.
 */
import { type Rng, rngFor } from "./prng.js";

export interface Interval {
  /** The point estimate: the plain mean of the per-problem values. */
  estimate: number;
  lower: number;
  upper: number;
}

export interface BootstrapOptions {
  /** Resamples. Default 2,000. */
  resamples?: number;
  /** Coverage. Default 0.95. */
  level?: number;
  seed?: number;
  /** Names the statistic, so each one gets its own seeded stream. */
  label?: string;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Linear-interpolation quantile (type 7, as numpy's default) of sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

/** Means of `resamples` bootstrap resamples of `values` (with replacement, same size). */
export function bootstrapMeans(values: readonly number[], resamples: number, rng: Rng): Float64Array {
  const n = values.length;
  const out = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng() * n)] ?? 0;
    out[b] = s / n;
  }
  return out;
}

/** Mean of per-problem values with a percentile-bootstrap confidence interval. */
export function bootstrapMeanCI(values: readonly number[], options: BootstrapOptions = {}): Interval {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const estimate = mean(values);
  if (values.length === 0) return { estimate, lower: Number.NaN, upper: Number.NaN };
  const rng = rngFor(options.seed ?? 0, "bootstrap", options.label ?? "");
  const means = Array.from(bootstrapMeans(values, resamples, rng)).sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { estimate, lower: quantileSorted(means, alpha), upper: quantileSorted(means, 1 - alpha) };
}

/**
 * Paired bootstrap of the difference mean(b) - mean(a) over the same problems: each resample draws problem
 * indices once and uses both runs' values of those problems, so problem difficulty cancels out.
 */
export function pairedBootstrapDiffCI(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): Interval {
  if (a.length !== b.length) {
    throw new RangeError(
      `pairedBootstrapDiffCI: runs cover ${a.length} and ${b.length} problems; pair them first`,
    );
  }
  const diffs = b.map((v, i) => v - (a[i] ?? 0));
  return bootstrapMeanCI(diffs, { ...options, label: `paired:${options.label ?? ""}` });
}
