import { closestKey, refuseUnknownOptions } from "@ssb/cli-kit";
import { ALL_EXTRACTION_RULES, type GradeOptions } from "./types.js";

/**
 * Option checks shared by every entry point. Responses and gold answers are data and never make the verifier
 * throw; options are configuration, and a mistaken one (a misspelled rule, a NaN budget) would otherwise
 * grade every answer silently wrong, so it throws a TypeError or RangeError naming the option.
 */

/** Every key `grade` reads from its options (what `accuracyReward`'s `grading` may hold). */
export const GRADE_OPTION_KEYS: readonly string[] = [
  "rules",
  "maxResponseChars",
  "relativeTolerance",
  "absoluteTolerance",
  "percentAsFraction",
  "budgetMs",
  "maxAnswerChars",
  "rejectHedging",
];

const KNOWN_KEYS: ReadonlySet<string> = new Set(GRADE_OPTION_KEYS);

/**
 * The options object whose keys were checked last. grade is called ~200k times a second with one reused
 * options object (and passes it on to extractAnswer and compareAnswers), so its keys are walked once, not on
 * every call; a fresh object (`{}` by default) costs a loop over its few keys. An unknown key added to that same
 * object after its first check goes unseen (its values are still checked on every call).
 */
let keysCheckedFor: object | undefined;

/**
 * Refuses a key nobody reads: a typo (`rule` for `rules`) would otherwise be ignored and grade with the
 * defaults. Every function takes every grade option (grade passes its options on), so one object fits all.
 */
function checkKeys(where: string, options: object): void {
  if (options === keysCheckedFor) return;
  for (const key in options) {
    if (!KNOWN_KEYS.has(key) && (options as Record<string, unknown>)[key] !== undefined)
      refuseUnknownOptions(options, GRADE_OPTION_KEYS, where, (message) => new TypeError(message));
  }
  keysCheckedFor = options;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value === "number" ? String(value) : typeof value;
}

/** Built once: joining the names on every call cost ~0.4 µs, three times per grade call with `rules` set. */
const VALID_RULES = `valid rules: ${ALL_EXTRACTION_RULES.join(", ")}`;

/**
 * `, did you mean "boxed"?` for a misspelt rule name (as @ssb/curation's checkAnswerRules says it), else "":
 * a long list of valid rules leaves the reader to spot which one a typo meant.
 */
export function ruleGuess(rule: unknown): string {
  const near = typeof rule === "string" ? closestKey(rule, ALL_EXTRACTION_RULES) : undefined;
  return near === undefined ? "" : `, did you mean "${near}"?`;
}

function checkRules(where: string, rules: unknown): void {
  const valid = VALID_RULES;
  if (!Array.isArray(rules)) {
    throw new TypeError(
      `${where}: options.rules must be an array of rule names (${valid}); got ${describe(rules)}`,
    );
  }
  if (rules.length === 0) throw new RangeError(`${where}: options.rules is empty (${valid})`);
  for (const r of rules) {
    if (typeof r !== "string" || !(ALL_EXTRACTION_RULES as readonly string[]).includes(r)) {
      throw new RangeError(`${where}: options.rules: unknown rule ${describe(r)}${ruleGuess(r)} (${valid})`);
    }
  }
}

function checkNumber(where: string, name: string, value: unknown, min: number, integer: boolean): void {
  const ok =
    typeof value === "number" &&
    !Number.isNaN(value) &&
    value >= min &&
    (!integer || Number.isInteger(value) || value === Number.POSITIVE_INFINITY);
  if (!ok) {
    const what = integer ? `an integer >= ${min}` : min > 0 ? "a number > 0" : "a number >= 0";
    throw new RangeError(`${where}: options.${name} must be ${what}; got ${describe(value)}`);
  }
}

function checkBoolean(where: string, name: string, value: unknown): void {
  if (typeof value !== "boolean") {
    throw new TypeError(`${where}: options.${name} must be true or false; got ${describe(value)}`);
  }
}

/** Throws when an option present in `options` has a value the verifier cannot honour; absent ones are fine. */
export function checkOptions(where: string, options: unknown): GradeOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object; got ${describe(options)}`);
  }
  checkKeys(where, options);
  const o = options as Record<string, unknown>;
  if (o.rules !== undefined) checkRules(where, o.rules);
  if (o.maxResponseChars !== undefined) checkNumber(where, "maxResponseChars", o.maxResponseChars, 1, true);
  if (o.maxAnswerChars !== undefined) checkNumber(where, "maxAnswerChars", o.maxAnswerChars, 1, true);
  if (o.relativeTolerance !== undefined) checkFinite(where, "relativeTolerance", o.relativeTolerance);
  if (o.absoluteTolerance !== undefined) checkFinite(where, "absoluteTolerance", o.absoluteTolerance);
  // Infinity is a deliberate "no time limit"; NaN, 0 and negatives are mistakes (NaN used to disable it).
  if (o.budgetMs !== undefined) checkNumber(where, "budgetMs", o.budgetMs, Number.MIN_VALUE, false);
  if (o.percentAsFraction !== undefined) checkBoolean(where, "percentAsFraction", o.percentAsFraction);
  if (o.rejectHedging !== undefined) checkBoolean(where, "rejectHedging", o.rejectHedging);
  return o as GradeOptions;
}

/** A tolerance: finite and not negative (an infinite tolerance would make every number equal). */
function checkFinite(where: string, name: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where}: options.${name} must be a finite number >= 0; got ${describe(value)}`);
  }
}

/**
 * Answers and responses as the verifier reads them: strings as they are, finite numbers and bigints as their
 * decimal text (a numeric gold of 5 is "5"), anything else as "" (no answer), so an object never compares
 * equal to another object through "[object Object]".
 */
export function answerText(value: unknown): string {
  if (typeof value === "string") return value;
  if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint")
    return String(value);
  return "";
}
