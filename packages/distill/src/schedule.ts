/** Learning-rate schedules as in transformers' get_*_schedule_with_warmup: linear warmup, then decay to 0 (or a floor). */
export type ScheduleKind = "linear" | "cosine" | "constant";

export interface ScheduleOptions {
  kind: ScheduleKind;
  peakLr: number;
  totalSteps: number;
  warmupSteps: number;
  /** Final lr as a fraction of the peak for cosine / linear (default 0). */
  minLrRatio?: number;
}

/** lr for the update at 0-based `step`. */
export function learningRate(step: number, o: ScheduleOptions): number {
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.peakLr * step) / o.warmupSteps;
  if (o.kind === "constant") return o.peakLr;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / decaySteps);
  const floor = o.minLrRatio ?? 0;
  const factor = o.kind === "linear" ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return o.peakLr * (floor + (1 - floor) * factor);
}

/**
 * Warmup steps as transformers' TrainingArguments.get_warmup_steps: `warmupSteps` when > 0, else
 * ceil(warmupRatio x totalSteps). (It rounded to the nearest: a ratio of 0.1 over 24 steps warmed up for 2
 * steps where transformers takes 3.)
 */
export function warmupStepsFor(totalSteps: number, warmupSteps: number, warmupRatio: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}
