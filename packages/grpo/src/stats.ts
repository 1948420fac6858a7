/** Small descriptive statistics for the metrics. */
export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** Mean, population std, min and max (all 0 for an empty list). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { mean: 0, std: 0, min: 0, max: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

/** The sample (n - 1) std, torch.std's default (0 for fewer than two values). */
export function sampleStd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
}
