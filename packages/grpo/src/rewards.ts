/**
 * Rewards of a group: by default @ssb/verifier's grading (boxed answers, as the SSB prompts ask) mapped
 * through @ssb/curation's groupRewards. Any other verifiable reward can be passed to the trainer instead.
 */
import { groupRewards, verifierGrader } from "@ssb/curation";
import type { GrpoRewardSettings } from "./grpo-config.js";
import type { GrpoProblem } from "./problems.js";
import type { SampledCompletion } from "./sample-groups.js";

export interface GroupReward {
  rewards: number[];
  /** Counted as accuracy in the metrics. */
  correct: boolean[];
}

/** Reward one problem's group of completions. */
export type GroupRewardFunction = (
  problem: GrpoProblem,
  completions: readonly SampledCompletion[],
) => GroupReward;

/** The verifier's verdict -> correct / wrong / noAnswer rewards. */
export function verifierReward(scheme: GrpoRewardSettings): GroupRewardFunction {
  return (problem, completions) => {
    // With its finish reason, a reply cut off at the token limit is no answer (as curation grades it and the
    // config says), even when a box was written before the cut: its text alone scored the box.
    const r = groupRewards(
      completions.map((c) => ({ text: c.text, finishReason: c.finishReason })),
      problem.answer,
      verifierGrader,
      scheme,
    );
    return { rewards: r.rewards, correct: r.correct };
  };
}
