/**
 * RLVR rewards for a group of sampled responses to one problem, from a grader (the verifier by default in
 * user code: `groupRewards(texts, gold, verifierGrader)`).
 */
import { gradeResponse } from "./grade-rollouts.js";
import type { Grader } from "./grader.js";
import { checkKnownKeys, checkNumber, checkOptionsObject } from "./option-checks.js";
import { describe } from "./parse-records.js";
import type { FinishReason, Verdict } from "./records.js";

export interface RewardScheme {
  correct: number;
  wrong: number;
  /** Unparsable / unboxed / truncated. Equal to `wrong` by default; set lower to punish format failures. */
  noAnswer: number;
}

export const BINARY_REWARD: RewardScheme = { correct: 1, wrong: 0, noAnswer: 0 };

/**
 * A response as a trainer holds it, when it knows why generation stopped: with `finishReason: "length"` the
 * reply was cut off and gets the no-answer reward, as in curation (a cut-off solution's box may be an
 * intermediate one). Plain strings are graded on their text alone.
 */
export interface RewardResponse {
  text: string;
  finishReason?: FinishReason;
}

export interface GroupRewards {
  rewards: number[];
  verdicts: Verdict[];
  /**
   * Each response's extracted final answer, null for a no-answer verdict (a truncated reply included), e.g.
   * for groupByEquivalence to find the majority answer without grading the group again.
   */
  extracted: (string | null)[];
  correct: boolean[];
}

/**
 * The scheme with the defaults (BINARY_REWARD) filled in for what is not given, so `{ noAnswer: -1 }` only
 * lowers the no-answer reward. Values must be finite numbers; unknown keys are refused.
 */
export function resolveRewardScheme(scheme: Partial<RewardScheme> = {}): RewardScheme {
  const where = "groupRewards";
  checkOptionsObject(scheme, where, "the reward scheme");
  checkKnownKeys(scheme, ["correct", "wrong", "noAnswer"], where, "reward scheme key");
  const full: RewardScheme = { ...BINARY_REWARD };
  for (const key of ["correct", "wrong", "noAnswer"] as const) {
    const value = scheme[key];
    // undefined means "the default", as if the key were not given.
    if (value === undefined) continue;
    checkNumber(value, where, `scheme.${key}`);
    full[key] = value;
  }
  return full;
}

/**
 * The gold as the grader gets it. A finite number (a GSM8K gold parsed as JSON, `72`) becomes its decimal
 * string with `String(gold)`, exactly as @ssb/verifier's `accuracyReward` converts it, so the two rewards
 * agree (`1e21` → "1e+21", `0.1 + 0.2` → "0.30000000000000004"). NaN and ±Infinity are refused: they are no
 * gold answer (pandas writes a missing value as NaN), and scoring every reply wrong against one would
 * train on noise.
 */
function rewardGold(gold: unknown, where: string): string {
  if (typeof gold === "string") return gold;
  if (typeof gold === "number" && Number.isFinite(gold)) return String(gold);
  throw new TypeError(
    `${where}: gold must be a string or a finite number (the gold answer), found ${describe(gold)}`,
  );
}

/**
 * Rewards of one group, in input order. Grading follows the package's one rule (gradeResponse): a truncated
 * response, and a "wrong" verdict with no extracted answer (a verifier timeout), are no-answer.
 */
export function groupRewards(
  responses: readonly (string | RewardResponse)[],
  gold: string | number,
  grader: Grader,
  scheme: Partial<RewardScheme> = BINARY_REWARD,
): GroupRewards {
  const where = "groupRewards";
  const s = resolveRewardScheme(scheme);
  const goldText = rewardGold(gold, where);
  if (!Array.isArray(responses))
    throw new TypeError(`${where}: responses must be an array, found ${describe(responses)}`);
  const outcomes = responses.map((r: unknown, i) => {
    const at = `${where}: responses[${i}]`;
    if (typeof r === "string") return gradeResponse(r, undefined, goldText, grader, true, at);
    if (typeof r !== "object" || r === null)
      throw new TypeError(`${at} must be a string or { text, finishReason? }, found ${describe(r)}`);
    const { text, finishReason } = r as { text?: unknown; finishReason?: unknown };
    if (finishReason !== undefined && finishReason !== "stop" && finishReason !== "length")
      throw new TypeError(`${at}: finishReason must be "stop" or "length", found ${describe(finishReason)}`);
    return gradeResponse(text, finishReason, goldText, grader, true, at);
  });
  const verdicts = outcomes.map((o) => o.verdict);
  return {
    verdicts,
    // A truncated reply keeps the box the grader found in its record elsewhere, but that box may be an
    // intermediate one: it is not the reply's answer here, where a majority vote would count it.
    extracted: outcomes.map((o) => (o.verdict === "no-answer" ? null : (o.extracted ?? null))),
    correct: verdicts.map((v) => v === "correct"),
    rewards: verdicts.map((v) => (v === "correct" ? s.correct : v === "wrong" ? s.wrong : s.noAnswer)),
  };
}
