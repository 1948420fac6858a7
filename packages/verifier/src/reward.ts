import { refuseUnknownOptions } from "@ssb/cli-kit";
import { grade } from "./grade.js";
import { checkOptions, GRADE_OPTION_KEYS } from "./options-check.js";
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
const REWARD_OPTION_KEYS = ["goldColumn", "correct", "wrong", "noAnswer", "grading", "onGrade"];

/** The text of a completion: the string itself, or the last assistant message's content ("" for anything else). */
export function completionText(completion: Completion): string {
  if (typeof completion === "string") return completion;
  if (!Array.isArray(completion)) return "";
  for (let i = completion.length - 1; i >= 0; i--) {
    const m = completion[i] as ChatMessage | null | undefined;
    if (m !== null && typeof m === "object" && m.role === "assistant")
      return typeof m.content === "string" ? m.content : "";
  }
  return "";
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

/** Refuses keys nobody reads: a typo (`rule` for `rules`) would otherwise be ignored and grade with defaults. */
function checkKeys(where: string, value: object, known: readonly string[]): void {
  refuseUnknownOptions(value, known, where, (message) => new TypeError(message));
}

/** Checks the options once, when the reward function is made, so a bad config fails before training starts. */
function checkRewardOptions(options: unknown): AccuracyRewardOptions {
  const where = "accuracyReward";
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object; got ${describe(options)}`);
  }
  checkKeys(where, options, REWARD_OPTION_KEYS);
  const o = options as Record<string, unknown>;
  for (const key of ["correct", "wrong", "noAnswer"]) {
    const v = o[key];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v))) {
      throw new RangeError(`${where}: options.${key} must be a finite number; got ${String(v)}`);
    }
  }
  if (o.goldColumn !== undefined && (typeof o.goldColumn !== "string" || o.goldColumn.length === 0)) {
    throw new TypeError(
      `${where}: options.goldColumn must be a non-empty string; got ${describe(o.goldColumn)}`,
    );
  }
  if (o.onGrade !== undefined && typeof o.onGrade !== "function") {
    throw new TypeError(`${where}: options.onGrade must be a function; got ${describe(o.onGrade)}`);
  }
  if (o.grading !== undefined) {
    if (o.grading === null || typeof o.grading !== "object" || Array.isArray(o.grading)) {
      throw new TypeError(`${where}: options.grading must be an object; got ${describe(o.grading)}`);
    }
    checkKeys(`${where}: options.grading`, o.grading, GRADE_OPTION_KEYS);
    checkOptions(`${where}: grading`, o.grading);
  }
  return o as AccuracyRewardOptions;
}

/** The gold answers aligned with `completions`; throws when the column is absent or not aligned. */
function goldAnswers(
  inputs: RewardInputs,
  goldColumn: string | undefined,
  count: number,
): readonly unknown[] {
  const where = "accuracyReward";
  const column = goldColumn ?? GOLD_COLUMNS.find((c) => Array.isArray(inputs[c]));
  if (column === undefined) {
    const present = Object.keys(inputs).filter((k) => k !== "completions" && k !== "prompts");
    throw new Error(
      `${where}: no gold column in the reward inputs (looked for ${GOLD_COLUMNS.join(", ")}; present: ${
        present.length > 0 ? present.join(", ") : "none"
      }); name it with { goldColumn: "..." }`,
    );
  }
  const golds = inputs[column];
  if (!Array.isArray(golds)) {
    throw new Error(`${where}: column "${column}" is missing from the reward inputs`);
  }
  if (golds.length !== count) {
    throw new Error(
      `${where}: column "${column}" has ${golds.length} entries for ${count} completions (they must be aligned, one gold per completion)`,
    );
  }
  return golds;
}

/**
 * A verifiable-reward function for GRPO-style trainers: grades every completion against its row's gold
 * answer with `grade` and maps the verdict to a number. Rows whose gold answer is null, NaN (pandas' missing
 * value) or not a string or number get null. Throws, rather than reward silently, on unknown or invalid options (when called), and on
 * inputs without an array of completions, without a gold column, or with a gold column of another length.
 */
export function accuracyReward(options: AccuracyRewardOptions = {}): RewardFunction {
  checkRewardOptions(options);
  const correct = options.correct ?? 1;
  const wrong = options.wrong ?? 0;
  const noAnswer = options.noAnswer ?? 0;
  return (inputs) => {
    if (inputs === null || typeof inputs !== "object" || !Array.isArray(inputs.completions)) {
      const got =
        inputs === null || typeof inputs !== "object" ? describe(inputs) : describe(inputs.completions);
      throw new TypeError(`accuracyReward: inputs.completions must be an array of completions; got ${got}`);
    }
    const golds = goldAnswers(inputs, options.goldColumn, inputs.completions.length);
    return inputs.completions.map((completion, i) => {
      const gold = golds[i];
      // NaN is how pandas (and a dataset loaded through it) writes a missing value: no gold, as null is.
      if (typeof gold === "number" ? !Number.isFinite(gold) : typeof gold !== "string") return null;
      const result = grade(completionText(completion), String(gold), options.grading);
      options.onGrade?.(result, i);
      return result.verdict === "correct" ? correct : result.verdict === "no-answer" ? noAnswer : wrong;
    });
  };
}
