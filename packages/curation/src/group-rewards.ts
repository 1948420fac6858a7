/**
 * RLVR rewards for a group of sampled responses to one problem, from a grader (the verifier by default in
 * user code: `groupRewards(texts, gold, verifierGrader)`).
 */
import type { Grader } from "./grader.js";
import { checkKnownKeys, checkNumber, checkOptionsObject } from "./option-checks.js";
import type { Verdict } from "./records.js";

export interface RewardScheme {
  correct: number;
  wrong: number;
  /** Unparsable / unboxed / truncated. Equal to `wrong` by default; set lower to punish format failures. */
  noAnswer: number;
}

export const BINARY_REWARD: RewardScheme = { correct: 1, wrong: 0, noAnswer: 0 };

export interface GroupRewards {
  rewards: number[];
  verdicts: Verdict[];
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

export function groupRewards(
  responses: readonly string[],
  gold: string,
  grader: Grader,
  scheme: Partial<RewardScheme> = BINARY_REWARD,
): GroupRewards {
  const s = resolveRewardScheme(scheme);
  const verdicts = responses.map((r) => grader(r, gold).verdict);
  return {
    verdicts,
    correct: verdicts.map((v) => v === "correct"),
    rewards: verdicts.map((v) => (v === "correct" ? s.correct : v === "wrong" ? s.wrong : s.noAnswer)),
  };
}
