import { grade } from "./grade.js";
import type { GradeOptions, GradeResult } from "./types.js";

/** A chat message as TRL passes conversational completions: `[{ role: "assistant", content: "..." }]`. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** A completion is plain text, or a conversation whose last assistant message holds the answer. */
export type Completion = string | readonly ChatMessage[];

/**
 * What a reward function receives, shaped like TRL's `reward_func(prompts, completions, **kwargs)`: the
 * completions, and every other dataset column as an array aligned with them (one entry per completion).
 */
export interface RewardInputs {
  completions: readonly Completion[];
  prompts?: readonly unknown[];
  [column: string]: readonly unknown[] | undefined;
}

/** One reward per completion; null means "no reward for this one" (TRL skips it). */
export type RewardFunction = (inputs: RewardInputs) => (number | null)[];

export interface AccuracyRewardOptions {
  /** Column holding the gold answer. Default: the first of `answer`, `solution`, `gold`, `ground_truth` present. */
  goldColumn?: string;
  /** Reward for a correct answer. Default 1. */
  correct?: number;
  /** Reward for a wrong answer. Default 0. */
  wrong?: number;
  /** Reward when no final answer could be extracted. Default 0 (set it negative to teach the answer format). */
  noAnswer?: number;
  /** Options for extraction and comparison (rules, tolerances, budget). */
  grading?: GradeOptions;
  /** Called with each grade, e.g. to log why rewards were given. */
  onGrade?: (result: GradeResult, index: number) => void;
}

const GOLD_COLUMNS = ["answer", "solution", "gold", "ground_truth"];

/** The text of a completion: the string itself, or the last assistant message's content. */
export function completionText(completion: Completion): string {
  if (typeof completion === "string") return completion;
  for (let i = completion.length - 1; i >= 0; i--) {
    const m = completion[i] as ChatMessage;
    if (m.role === "assistant") return typeof m.content === "string" ? m.content : "";
  }
  return "";
}

/**
 * A verifiable-reward function for GRPO-style trainers: grades every completion against its row's gold
 * answer with `grade` and maps the verdict to a number. Rows without a gold answer get null.
 */
export function accuracyReward(options: AccuracyRewardOptions = {}): RewardFunction {
  const correct = options.correct ?? 1;
  const wrong = options.wrong ?? 0;
  const noAnswer = options.noAnswer ?? 0;
  return (inputs) => {
    const column = options.goldColumn ?? GOLD_COLUMNS.find((c) => Array.isArray(inputs[c]));
    const golds = column === undefined ? undefined : inputs[column];
    if (column !== undefined && !Array.isArray(golds)) {
      throw new Error(`accuracyReward: column "${column}" is missing from the reward inputs`);
    }
    return inputs.completions.map((completion, i) => {
      const gold = golds?.[i];
      if (gold === undefined || gold === null || (typeof gold !== "string" && typeof gold !== "number"))
        return null;
      const result = grade(completionText(completion), String(gold), options.grading);
      options.onGrade?.(result, i);
      return result.verdict === "correct" ? correct : result.verdict === "no-answer" ? noAnswer : wrong;
    });
  };
}
