/** GRPO metrics: one JSONL line per round, and SVG plots of reward, accuracy, length, KL and clipping. */

import {
  appendMetrics,
  type MetricsTruncation,
  readMetrics,
  svgLinePlot,
  truncateMetrics,
} from "@ssb/distill";

export interface GrpoStepMetrics {
  /** 1-based round number. */
  step: number;
  rewardMean: number;
  /** Std of all the round's rewards (population). */
  rewardStd: number;
  /**
   * Mean over the round's groups of each group's sample (G - 1) std, what older TRL versions logged as
   * `reward_std` (TRL 1.13 logs the sample std of all the batch's rewards there: rewardStd x sqrt(N / (N - 1)));
   * absent from rounds logged before it existed.
   */
  rewardGroupStd?: number;
  /** Share of completions graded correct. */
  accuracy: number;
  advantageMean: number;
  advantageStd: number;
  advantageMin: number;
  advantageMax: number;
  /** Groups whose rewards were all equal (zero advantage: no learning signal). */
  zeroAdvantageGroups: number;
  groups: number;
  /** Mean KL(pi || base) per trained token (k3 estimator, x the ratio with klBiasCorrection); null when not computed. */
  kl: number | null;
  /**
   * Share of the round's completion tokens (x iterations) whose ratio was clipped: TRL's clip_ratio/region_mean,
   * which also divides by every completion token, zero-advantage ones included (0 when iterations = 1: ratios
   * are exactly 1).
   */
  clipFraction: number;
  /** Mean ratio pi / pi_old over the tokens run through the model (see tokensTrained). */
  ratioMean: number;
  responseLengthMean: number;
  responseLengthMax: number;
  /** Share of completions cut at maxNewTokens. */
  truncatedFraction: number;
  loss: number;
  gradNorm: number;
  lr: number;
  /** Tokens sampled this round / tokens in the gradient passes (all iterations). */
  tokensGenerated: number;
  tokensTrained: number;
  syncSec: number;
  sampleSec: number;
  trainSec: number;
  stepSec: number;
  elapsedSec: number;
}

/** Token sums of a round's updates (all iterations) behind the kl, clipFraction and ratioMean metrics. */
export interface RoundPolicySums {
  /** Tokens run through the model, all iterations (zero-advantage completions only when a KL is computed). */
  tokensTrained: number;
  /** Tokens of every completion of the round, once. */
  completionTokens: number;
  iterations: number;
  clippedTokens: number;
  ratioSum: number;
  /** Sum of the k3 KL terms; null when no reference pass ran. */
  klSum: number | null;
}

/**
 * kl and ratioMean per trained token; clipFraction per completion token of the round (each iteration): a
 * zero-advantage token is never clipped, so the share is the same whether or not those completions ran
 * (they run only with a KL term), and equals TRL's clip_ratio/region_mean.
 */
export function roundPolicyMetrics(
  s: RoundPolicySums,
): Pick<GrpoStepMetrics, "kl" | "clipFraction" | "ratioMean"> {
  const denominator = s.completionTokens * s.iterations;
  return {
    kl: s.klSum !== null && s.tokensTrained > 0 ? s.klSum / s.tokensTrained : null,
    clipFraction: denominator > 0 ? s.clippedTokens / denominator : 0,
    ratioMean: s.tokensTrained > 0 ? s.ratioSum / s.tokensTrained : 1,
  };
}

export const appendGrpoMetrics = (file: string, m: GrpoStepMetrics): void => appendMetrics(file, m);

export const readGrpoMetrics = (file: string): GrpoStepMetrics[] => readMetrics<GrpoStepMetrics>(file);

/**
 * Keep steps <= `step` (after a resume from that checkpoint, later lines belong to the lost run); a torn last
 * line is dropped and reported, any other unreadable line throws naming file:line (see @ssb/distill's
 * truncateMetrics).
 */
export const truncateGrpoMetrics = (file: string, step: number): MetricsTruncation =>
  truncateMetrics(file, step);

function movingAverage(points: [number, number][]): [number, number][] {
  const window = Math.max(1, Math.round(points.length / 10));
  return points.map(([x], i) => {
    const slice = points.slice(Math.max(0, i - window + 1), i + 1);
    return [x, slice.reduce((s, [, y]) => s + y, 0) / slice.length];
  });
}

/** The plots written beside metrics.jsonl, by file name. */
export function grpoPlots(metrics: readonly GrpoStepMetrics[]): Record<string, string> {
  const series = (pick: (m: GrpoStepMetrics) => number | null): [number, number][] =>
    metrics.flatMap((m) => {
      const y = pick(m);
      return y === null ? [] : [[m.step, y] as [number, number]];
    });
  const reward = series((m) => m.rewardMean);
  const plots: Record<string, string> = {
    "reward.svg": svgLinePlot(
      [
        { name: "mean reward", points: reward, color: "#9ecae1" },
        { name: "moving average", points: movingAverage(reward), color: "#08519c" },
        { name: "accuracy", points: series((m) => m.accuracy), color: "#2ca02c" },
      ],
      "GRPO training reward",
      "round",
      "reward / accuracy",
    ),
    "response-length.svg": svgLinePlot(
      [
        { name: "mean response length", points: series((m) => m.responseLengthMean) },
        { name: "max", points: series((m) => m.responseLengthMax), color: "#bbbbbb" },
      ],
      "response length over training",
      "round",
      "tokens",
    ),
    "policy.svg": svgLinePlot(
      [
        { name: "clip fraction", points: series((m) => m.clipFraction) },
        { name: "KL to base", points: series((m) => m.kl), color: "#d62728" },
        { name: "grad norm", points: series((m) => m.gradNorm), color: "#ff7f0e" },
      ],
      "policy update",
      "round",
      "value",
    ),
  };
  return plots;
}
