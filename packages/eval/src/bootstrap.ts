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

/**
 * Throws unless every value is a finite number. JS callers (or values read from JSON) may hand in strings:
 * `"1" + "0"` concatenates, so mean(["1", "0"]) was 5; NaN and Infinity made every bound NaN silently.
 */
export function checkFiniteValues(where: string, values: readonly unknown[]): void {
  if (!Array.isArray(values)) throw new TypeError(`${where}: values must be an array of numbers`);
  for (const [i, v] of values.entries()) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      const shown = typeof v === "string" ? JSON.stringify(v) : String(v);
      throw new TypeError(
        `${where}: values[${i}] must be a finite number (got ${typeof v === "number" ? "" : `${typeof v} `}${shown})`,
      );
    }
  }
}

/**
 * Throws unless `resamples` is a positive integer and `level` lies strictly between 0 and 1. Before, level 95
 * (meant as 95%) or 1.5 and resamples 0 gave NaN bounds silently, and resamples -1 threw "Invalid typed array
 * length". `where` names the caller (and option path) in the message.
 */
export function checkBootstrapOptions(where: string, options: BootstrapOptions): void {
  const { resamples, level } = options;
  if (
    resamples !== undefined &&
    (typeof resamples !== "number" || !Number.isSafeInteger(resamples) || resamples < 1)
  ) {
    throw new RangeError(
      `${where}: resamples must be a positive integer (got ${JSON.stringify(resamples) ?? String(resamples)})`,
    );
  }
  if (level !== undefined && (typeof level !== "number" || !(level > 0 && level < 1))) {
    const hint =
      typeof level === "number" && level >= 50 && level < 100 ? `; for ${level}% pass ${level / 100}` : "";
    throw new RangeError(
      `${where}: level must be a fraction strictly between 0 and 1, e.g. 0.95 (got ${JSON.stringify(level) ?? String(level)}${hint})`,
    );
  }
}

export function mean(values: readonly number[]): number {
  checkFiniteValues("mean", values);
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
  checkFiniteValues("bootstrapMeans", values);
  checkBootstrapOptions("bootstrapMeans", { resamples });
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
  const where = options.label ? `bootstrapMeanCI (${options.label})` : "bootstrapMeanCI";
  checkBootstrapOptions(where, options);
  checkFiniteValues(where, values);
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
  checkFiniteValues("pairedBootstrapDiffCI (a)", a);
  checkFiniteValues("pairedBootstrapDiffCI (b)", b);
  const diffs = b.map((v, i) => v - (a[i] ?? 0));
  return bootstrapMeanCI(diffs, { ...options, label: `paired:${options.label ?? ""}` });
}
