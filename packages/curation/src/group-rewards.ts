/**
 * RLVR rewards for a group of sampled responses to one problem, from a grader (the verifier by default in
 * user code: `groupRewards(texts, gold, verifierGrader)`).
 */
import type { Grader } from "./grader.js";
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

export function groupRewards(
  responses: readonly string[],
  gold: string,
  grader: Grader,
  scheme: RewardScheme = BINARY_REWARD,
): GroupRewards {
  const verdicts = responses.map((r) => grader(r, gold).verdict);
  return {
    verdicts,
    correct: verdicts.map((v) => v === "correct"),
    rewards: verdicts.map((v) =>
      v === "correct" ? scheme.correct : v === "wrong" ? scheme.wrong : scheme.noAnswer,
    ),
  };
}
