/**
 * Rewards of a group: by default @ssb/verifier's grading (boxed answers, as the SSB prompts ask; other
 * extraction rules by `reward.rules`) mapped through @ssb/curation's groupRewards. Any other verifiable reward
 * can be passed to the trainer instead.
 */
import { groupRewards, makeVerifierGrader } from "@ssb/curation";
import { answerRules, checkAnswerRules } from "./answer-rules.js";
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

/**
 * The verifier's verdict -> correct / wrong / noAnswer rewards, the answer read by `scheme.rules` (default
 * boxed only; checked when the reward is made, so a bad name fails before any sampling, not at the first grade).
 */
export function verifierReward(scheme: GrpoRewardSettings): GroupRewardFunction {
  const rules = checkAnswerRules(answerRules(scheme), '"reward.rules"');
  const grader = makeVerifierGrader({ rules });
  const { correct, wrong, noAnswer } = scheme;
  return (problem, completions) => {
    // With its finish reason, a reply cut off at the token limit is no answer (as curation grades it and the
    // config says), even when a box was written before the cut: its text alone scored the box.
    const r = groupRewards(
      completions.map((c) => ({ text: c.text, finishReason: c.finishReason })),
      problem.answer,
      grader,
      { correct, wrong, noAnswer },
    );
    return { rewards: r.rewards, correct: r.correct };
  };
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "number") return String(v);
  return typeof v;
}

/**
 * A reward function's result for one group, checked before it becomes advantages: `{ rewards, correct }` with
 * one finite reward and one boolean per completion. Errors name the round and the problem. A function written
 * for TRL (prompts, completions -> a list of floats, None for "not applicable") is the usual mistake: its list
 * is refused saying what to return instead, and a None (null here) is refused, not summed away as TRL does.
 */
export function checkGroupReward(
  result: unknown,
  completions: number,
  where: { round: number; problemId: string },
): GroupReward {
  const at = `reward function, round ${where.round}, problem ${JSON.stringify(where.problemId)}`;
  const shape = `{ rewards: number[], correct: boolean[] } with one entry per completion (${completions})`;
  if (Array.isArray(result))
    throw new Error(
      `${at}: expected ${shape}, found an array of ${result.length} (a TRL-style reward function's list of floats; return { rewards, correct } instead)`,
    );
  if (typeof result !== "object" || result === null)
    throw new Error(`${at}: expected ${shape}, found ${describeValue(result)}`);
  const { rewards, correct } = result as { rewards?: unknown; correct?: unknown };
  for (const [field, list] of [
    ["rewards", rewards],
    ["correct", correct],
  ] as const) {
    if (!Array.isArray(list) || list.length !== completions)
      throw new Error(`${at}: expected ${shape}, found ${field}: ${describeValue(list)}`);
  }
  (rewards as unknown[]).forEach((r, i) => {
    if (typeof r !== "number" || !Number.isFinite(r))
      throw new Error(
        `${at}: rewards[${i}] is ${describeValue(r)}; every completion needs a finite reward (TRL's None, "not applicable", has no equivalent here)`,
      );
  });
  (correct as unknown[]).forEach((c, i) => {
    if (typeof c !== "boolean")
      throw new Error(`${at}: correct[${i}] is ${describeValue(c)}, not true or false`);
  });
  return result as GroupReward;
}
