/**
 * SSB's per-problem selection: keep problems the model sometimes solves and sometimes fails, then choose one
 * correct rollout and one rollout carrying the most common wrong answer (by equivalence class).
 *
 * Every random choice draws from a stream derived from (seed, purpose, problem id), so a problem's selection
 * is the same whatever else is in the run and in whatever order problems are processed (which resume needs).
 */
import type { AnswerEquivalence } from "./grader.js";
import { groupByEquivalence } from "./group-answers.js";
import { checkBoolean, checkInteger, checkOneOf, checkOptionsObject } from "./option-checks.js";
import { pickIndex, rngFor } from "./prng.js";
import type { GradedRollout } from "./records.js";

/** How to choose one rollout among candidates: the reference takes the first. */
export type RolloutChoice = "first" | "shortest" | "random";

/** How to break a tie between equally common wrong answers. */
export type TieBreak = "seeded" | "first";

export interface SelectionOptions {
  /** Answer equivalence used to merge wrong answers into groups. */
  equivalence: AnswerEquivalence;
  /** Run seed (default 0). */
  seed?: number;
  /** Which correct rollout to show the teacher (default "first", as the reference). */
  correctChoice?: RolloutChoice;
  /** Which rollout of the winning wrong group to show (default "first", as the reference). */
  wrongChoice?: RolloutChoice;
  /** Tie between equally common wrong groups (default "seeded"; "first" = earliest sample, like Counter). */
  tieBreak?: TieBreak;
  /**
   * The reference only calls an answer the majority when more than one rollout shares it; otherwise it picks
   * one wrong answer uniformly at random. With this on, that rule applies (seeded here).
   */
  requireMajorityCountAboveOne?: boolean;
  /** With requireMajorityCountAboveOne: "random" (reference) or "drop" the problem. Default "random". */
  whenNoMajority?: "random" | "drop";
  /** Minimum correct rollouts to keep a problem (default 1). */
  minCorrect?: number;
  /** Minimum wrong (not no-answer) rollouts to keep a problem (default 1). */
  minWrong?: number;
}

export type SelectionDropReason =
  | "no-rollouts"
  | "no-answers"
  | "all-correct"
  | "all-wrong"
  | "too-few-correct"
  | "too-few-wrong"
  | "no-majority-wrong";

export interface RolloutCounts {
  total: number;
  correct: number;
  wrong: number;
  noAnswer: number;
}

export interface ChosenCorrect {
  sampleIndex: number;
  extracted: string | null;
  /** Policy used and how many correct rollouts it chose from. */
  policy: RolloutChoice;
  candidates: number;
}

/** How the wrong answer was chosen. */
export type WrongPickRule = "majority" | "tie-seeded" | "tie-first" | "random-no-majority";

export interface ChosenWrong {
  sampleIndex: number;
  /** The group's representative answer (its first member's extracted answer). */
  answer: string;
  /** The chosen rollout's own extracted answer (may be an equivalent spelling of `answer`). */
  extracted: string;
  /** How many rollouts gave an answer equivalent to `answer`. */
  count: number;
  /** How many distinct wrong answers (equivalence groups) there were. */
  groups: number;
  /** How many groups shared the top count (1 = clear winner). */
  tiedGroups: number;
  rule: WrongPickRule;
  policy: RolloutChoice;
  /** Every wrong answer group with its size, most common first (ties in sample order): answer diversity. */
  answers: { answer: string; count: number }[];
}

export interface SelectedPair {
  kind: "selected";
  problemId: string;
  correct: GradedRollout;
  wrong: GradedRollout;
  chosenCorrect: ChosenCorrect;
  chosenWrong: ChosenWrong;
  counts: RolloutCounts;
}

export interface DroppedProblem {
  kind: "dropped";
  problemId: string;
  reason: SelectionDropReason;
  detail: string;
  counts: RolloutCounts;
}

export type SelectionResult = SelectedPair | DroppedProblem;

export const ROLLOUT_CHOICES: readonly RolloutChoice[] = ["first", "shortest", "random"];
export const TIE_BREAKS: readonly TieBreak[] = ["seeded", "first"];
export const WHEN_NO_MAJORITY: readonly string[] = ["random", "drop"];

/**
 * Refuses selection options outside their known values, naming the option: a misspelt policy would otherwise
 * fall back to another one silently (and be written into the records as given).
 */
export function checkSelectionOptions(options: Partial<SelectionOptions>, where: string): void {
  checkOptionsObject(options, where);
  const o = options as Record<string, unknown>;
  if (o.seed !== undefined) checkInteger(o.seed, 0, where, "seed");
  checkOneOf(o.correctChoice, ROLLOUT_CHOICES, where, "correctChoice");
  checkOneOf(o.wrongChoice, ROLLOUT_CHOICES, where, "wrongChoice");
  checkOneOf(o.tieBreak, TIE_BREAKS, where, "tieBreak");
  checkBoolean(o.requireMajorityCountAboveOne, where, "requireMajorityCountAboveOne");
  checkOneOf(o.whenNoMajority, WHEN_NO_MAJORITY, where, "whenNoMajority");
  checkInteger(o.minCorrect, 1, where, "minCorrect");
  checkInteger(o.minWrong, 1, where, "minWrong");
}

export function countVerdicts(graded: readonly GradedRollout[]): RolloutCounts {
  const counts: RolloutCounts = { total: graded.length, correct: 0, wrong: 0, noAnswer: 0 };
  for (const g of graded) {
    if (g.verdict === "correct") counts.correct++;
    else if (g.verdict === "wrong") counts.wrong++;
    else counts.noAnswer++;
  }
  return counts;
}

function chooseRollout(
  candidates: readonly GradedRollout[],
  policy: RolloutChoice,
  seed: number,
  purpose: string,
  problemId: string,
): GradedRollout {
  if (policy === "first") return candidates[0]!;
  if (policy === "shortest") {
    // Ties in length go to the earliest sample, keeping the choice independent of the seed.
    return candidates.reduce((best, c) => (c.text.length < best.text.length ? c : best));
  }
  return candidates[pickIndex(rngFor(seed, purpose, problemId), candidates.length)]!;
}

function dropReason(counts: RolloutCounts, minCorrect: number, minWrong: number): SelectionDropReason | null {
  if (counts.total === 0) return "no-rollouts";
  if (counts.correct === 0 && counts.wrong === 0) return "no-answers";
  if (counts.wrong === 0) return "all-correct";
  if (counts.correct === 0) return "all-wrong";
  if (counts.correct < minCorrect) return "too-few-correct";
  if (counts.wrong < minWrong) return "too-few-wrong";
  return null;
}

/**
 * Selects the (correct, majority-wrong) pair for one problem from its graded rollouts (any order; they are
 * considered in sampleIndex order).
 */
export function selectPair(
  problemId: string,
  graded: readonly GradedRollout[],
  options: SelectionOptions,
): SelectionResult {
  checkSelectionOptions(options, "selectPair");
  const seed = options.seed ?? 0;
  const minCorrect = options.minCorrect ?? 1;
  const minWrong = options.minWrong ?? 1;
  const ordered = [...graded].sort((a, b) => a.sampleIndex - b.sampleIndex);
  const counts = countVerdicts(ordered);
  const reason = dropReason(counts, minCorrect, minWrong);
  if (reason) {
    const detail = `${counts.correct} correct, ${counts.wrong} wrong, ${counts.noAnswer} no-answer of ${counts.total}`;
    return { kind: "dropped", problemId, reason, detail, counts };
  }

  const corrects = ordered.filter((g) => g.verdict === "correct");
  const wrongs = ordered.filter((g) => g.verdict === "wrong");
  const correctPolicy = options.correctChoice ?? "first";
  const correct = chooseRollout(corrects, correctPolicy, seed, "correct", problemId);

  // A "wrong" verdict always has an extracted answer here (gradeRollout makes one without it no-answer).
  const groups = groupByEquivalence(wrongs, (g) => g.extracted ?? "", options.equivalence);
  // Stable sort: equal counts keep first-appearance order, so "first" tie-break = earliest sample.
  const ranked = [...groups].sort((a, b) => b.members.length - a.members.length);
  const top = ranked[0]!;
  const topCount = top.members.length;
  const tied = ranked.filter((g) => g.members.length === topCount);

  let winner = top;
  let rule: WrongPickRule = "majority";
  if (options.requireMajorityCountAboveOne && topCount <= 1) {
    if ((options.whenNoMajority ?? "random") === "drop") {
      return {
        kind: "dropped",
        problemId,
        reason: "no-majority-wrong",
        detail: `${groups.length} wrong answers, each given by one rollout`,
        counts,
      };
    }
    winner = groups[pickIndex(rngFor(seed, "wrong-group", problemId), groups.length)]!;
    rule = "random-no-majority";
  } else if (tied.length > 1) {
    if ((options.tieBreak ?? "seeded") === "seeded") {
      winner = tied[pickIndex(rngFor(seed, "wrong-group", problemId), tied.length)]!;
      rule = "tie-seeded";
    } else {
      rule = "tie-first";
    }
  }

  const wrongPolicy = options.wrongChoice ?? "first";
  const wrong = chooseRollout(winner.members, wrongPolicy, seed, "wrong-member", problemId);
  return {
    kind: "selected",
    problemId,
    correct,
    wrong,
    chosenCorrect: {
      sampleIndex: correct.sampleIndex,
      extracted: correct.extracted,
      policy: correctPolicy,
      candidates: corrects.length,
    },
    chosenWrong: {
      sampleIndex: wrong.sampleIndex,
      answer: winner.answer,
      extracted: wrong.extracted ?? "",
      count: winner.members.length,
      groups: groups.length,
      tiedGroups: tied.length,
      rule,
      policy: wrongPolicy,
      answers: ranked.map((g) => ({ answer: g.answer, count: g.members.length })),
    },
    counts,
  };
}
