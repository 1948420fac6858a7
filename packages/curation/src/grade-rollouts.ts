/**
 * Grades a problem's rollouts. Truncated rollouts (finishReason "length") are `no-answer` whatever their text
 * holds: a cut-off solution may contain an intermediate \boxed{} that is not the model's final answer.
 *
 * `gradeResponse` is the one grading rule of the package: curation (gradeRollouts) and RLVR rewards
 * (groupRewards) both go through it, so a reply gets the same verdict in both.
 */
import type { GradeOutcome, Grader } from "./grader.js";
import { checkBoolean, checkKnownKeys, checkOptionsObject } from "./option-checks.js";
import { describe } from "./parse-records.js";
import type { FinishReason, GradedRollout, Rollout, Verdict } from "./records.js";

export interface GradeRolloutsOptions {
  /** Treat finishReason "length" as no-answer (default true). */
  truncatedIsNoAnswer?: boolean;
}

const VERDICTS: readonly Verdict[] = ["correct", "wrong", "no-answer"];

/**
 * One response's outcome. `where` names the response in errors ("groupRewards: responses[3]"): a text that is
 * not a string (a record read with the wrong field name, say) would otherwise be graded as an empty reply, and
 * a custom grader's verdict outside the three known ones would silently count as no answer.
 */
export function gradeResponse(
  text: unknown,
  finishReason: FinishReason | undefined,
  gold: string,
  grader: Grader,
  truncatedIsNoAnswer: boolean,
  where: string,
): GradeOutcome {
  if (typeof text !== "string")
    throw new TypeError(`${where}: text must be a string, found ${describe(text)}`);
  const outcome: unknown = grader(text, gold);
  const verdict = (outcome as { verdict?: unknown } | null)?.verdict;
  if (!VERDICTS.includes(verdict as Verdict)) {
    throw new TypeError(
      `${where}: the grader returned verdict ${describe(verdict)}; a grader must return an object with verdict "correct", "wrong" or "no-answer"`,
    );
  }
  const graded = outcome as GradeOutcome;
  if (truncatedIsNoAnswer && finishReason === "length") {
    return { verdict: "no-answer", extracted: graded.extracted, reason: "truncated (finishReason=length)" };
  }
  // "Wrong" with no answer extracted (the verifier ran out of its time budget or failed before it found
  // one): there is no wrong answer to vote for, so it counts as no answer rather than as the answer "".
  if (graded.verdict === "wrong" && (graded.extracted === null || graded.extracted === undefined)) {
    return { verdict: "no-answer", extracted: null, reason: graded.reason };
  }
  return { verdict: graded.verdict, extracted: graded.extracted, reason: graded.reason };
}

/** The gold answer must be a string: an undefined gold (a misspelt field) would grade every reply wrong. */
export function checkGold(gold: unknown, where: string): asserts gold is string {
  if (typeof gold !== "string")
    throw new TypeError(`${where}: gold must be a string (the gold answer), found ${describe(gold)}`);
}

function checkGradeOptions(options: unknown, where: string): void {
  checkOptionsObject(options, where);
  const o = (options ?? {}) as Record<string, unknown>;
  checkKnownKeys(o, ["truncatedIsNoAnswer"], where);
  checkBoolean(o.truncatedIsNoAnswer, where, "truncatedIsNoAnswer");
}

function gradeOne(
  rollout: Rollout,
  gold: string,
  grader: Grader,
  truncatedIsNoAnswer: boolean,
  where: string,
): GradedRollout {
  const outcome = gradeResponse(rollout.text, rollout.finishReason, gold, grader, truncatedIsNoAnswer, where);
  // Key order as before the shared rule (records are written as JSON).
  const { verdict, extracted, reason } = outcome;
  return { ...rollout, verdict, correct: verdict === "correct", extracted, reason };
}

export function gradeRollout(
  rollout: Rollout,
  gold: string,
  grader: Grader,
  options: GradeRolloutsOptions = {},
): GradedRollout {
  checkGradeOptions(options, "gradeRollout");
  checkGold(gold, "gradeRollout");
  return gradeOne(rollout, gold, grader, options.truncatedIsNoAnswer ?? true, "gradeRollout: rollout");
}

/**
 * Grades every rollout. The result is in sampleIndex order, not input order, so later choices do not depend
 * on file order: match results to your own data by `sampleIndex`, or use groupRewards, which keeps input order.
 */
export function gradeRollouts(
  rollouts: readonly Rollout[],
  gold: string,
  grader: Grader,
  options: GradeRolloutsOptions = {},
): GradedRollout[] {
  const where = "gradeRollouts";
  checkGradeOptions(options, where);
  checkGold(gold, where);
  if (!Array.isArray(rollouts))
    throw new TypeError(`${where}: rollouts must be an array, found ${describe(rollouts)}`);
  const truncated = options.truncatedIsNoAnswer ?? true;
  const indexed = rollouts.map((rollout, index) => {
    if (typeof rollout !== "object" || rollout === null)
      throw new TypeError(
        `${where}: rollouts[${index}] must be a rollout object, found ${describe(rollout)}`,
      );
    return { rollout, index };
  });
  indexed.sort((a, b) => a.rollout.sampleIndex - b.rollout.sampleIndex);
  return indexed.map(({ rollout, index }) =>
    gradeOne(
      rollout,
      gold,
      grader,
      truncated,
      `${where}: rollouts[${index}] (sampleIndex ${rollout.sampleIndex})`,
    ),
  );
}
