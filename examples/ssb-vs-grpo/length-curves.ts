/**
 * Response length over training, for both methods on one plot. The x axis is the fraction of each method's
 * training done (SSB's optimizer steps and GRPO's rounds are not the same unit). SSB's curve is the mean
 * length of the teacher replies the student is trained on in each step (distill's `rows`, the reply tokens of
 * the step, over the step's examples); GRPO's is the mean length of the completions it sampled in each round.
 */
import { planSteps, type StepMetrics, svgLinePlot, type TrainConfig } from "@ssb/distill";
import type { GrpoStepMetrics } from "@ssb/grpo";

export interface LengthPoint {
  /** Optimizer step (SSB) or round (GRPO), 1-based. */
  step: number;
  /** step / total steps. */
  progress: number;
  meanTokens: number;
}

/**
 * Examples per optimizer step of distill's plan. The plan's batch sizes depend only on the number of examples
 * and the batching settings, not on the lengths (lengths only reorder examples within a window), so a plan
 * over placeholder lengths has the same sizes as the real one.
 */
export function examplesPerStep(pairs: number, train: TrainConfig): number[] {
  if (pairs === 0) return [];
  return planSteps(new Array<number>(pairs).fill(1), train).map((s) =>
    s.microBatches.reduce((n, b) => n + b.length, 0),
  );
}

export function ssbLengthCurve(metrics: readonly StepMetrics[], perStep: readonly number[]): LengthPoint[] {
  const total = metrics.length;
  return metrics.flatMap((m) => {
    const examples = perStep[m.step - 1];
    if (examples === undefined || examples === 0) return [];
    return [{ step: m.step, progress: m.step / total, meanTokens: m.rows / examples }];
  });
}

export function grpoLengthCurve(metrics: readonly GrpoStepMetrics[]): LengthPoint[] {
  const total = metrics.length;
  return metrics.map((m) => ({ step: m.step, progress: m.step / total, meanTokens: m.responseLengthMean }));
}

export function lengthCurvesSvg(ssb: readonly LengthPoint[], grpo: readonly LengthPoint[]): string {
  const points = (c: readonly LengthPoint[]): [number, number][] => c.map((p) => [p.progress, p.meanTokens]);
  return svgLinePlot(
    [
      { name: "SSB: trained teacher replies (per step)", points: points(ssb), color: "#d62728" },
      { name: "GRPO: sampled completions (per round)", points: points(grpo), color: "#1f77b4" },
    ],
    "Response length over training",
    "fraction of training done",
    "mean tokens per response",
  );
}
