/**
 * Grades a problem's rollouts. Truncated rollouts (finishReason "length") are `no-answer` whatever their text
 * holds: a cut-off solution may contain an intermediate \boxed{} that is not the model's final answer.
 */
import type { Grader } from "./grader.js";
import type { GradedRollout, Rollout } from "./records.js";

export interface GradeRolloutsOptions {
  /** Treat finishReason "length" as no-answer (default true). */
  truncatedIsNoAnswer?: boolean;
}

export function gradeRollout(
  rollout: Rollout,
  gold: string,
  grader: Grader,
  options: GradeRolloutsOptions = {},
): GradedRollout {
  const outcome = grader(rollout.text, gold);
  if ((options.truncatedIsNoAnswer ?? true) && rollout.finishReason === "length") {
    return {
      ...rollout,
      verdict: "no-answer",
      correct: false,
      extracted: outcome.extracted,
      reason: "truncated (finishReason=length)",
    };
  }
  // "Wrong" with no answer extracted (the verifier ran out of its time budget or failed before it found
  // one): there is no wrong answer to vote for, so it counts as no answer rather than as the answer "".
  if (outcome.verdict === "wrong" && (outcome.extracted === null || outcome.extracted === undefined)) {
    return { ...rollout, verdict: "no-answer", correct: false, extracted: null, reason: outcome.reason };
  }
  return {
    ...rollout,
    verdict: outcome.verdict,
    correct: outcome.verdict === "correct",
    extracted: outcome.extracted,
    reason: outcome.reason,
  };
}

/** Grades every rollout, in sampleIndex order so later choices do not depend on file order. */
export function gradeRollouts(
  rollouts: readonly Rollout[],
  gold: string,
  grader: Grader,
  options: GradeRolloutsOptions = {},
): GradedRollout[] {
  const sorted = [...rollouts].sort((a, b) => a.sampleIndex - b.sampleIndex);
  return sorted.map((r) => gradeRollout(r, gold, grader, options));
}
