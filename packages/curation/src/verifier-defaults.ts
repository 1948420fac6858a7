/**
 * @ssb/verifier as the default grader and answer equivalence.
 *
 * The default grader only reads `\boxed{}` answers: SSB's prompts ask for a boxed final answer and the issue
 * counts an unboxed response as no-answer (the reference code likewise parses only `\boxed{}`). Pass other
 * extraction rules through makeVerifierGrader when your rollouts use another answer format.
 */
import { closestKey } from "@ssb/cli-kit";
import {
  ALL_EXTRACTION_RULES,
  type EquivalenceOptions,
  type ExtractionRule,
  type GradeOptions,
  grade,
  isEquivalent,
} from "@ssb/verifier";
import type { AnswerEquivalence, Grader } from "./grader.js";
import { describe } from "./parse-records.js";

/** Every extraction rule @ssb/verifier has, in its order (ALL_EXTRACTION_RULES), for a caller's own checks and help. */
export const ANSWER_RULES: readonly ExtractionRule[] = ALL_EXTRACTION_RULES;

export type { ExtractionRule };

/** The rules the default grader reads: boxed answers only. */
export const DEFAULT_ANSWER_RULES: readonly ExtractionRule[] = ["boxed"];

/**
 * A list of the verifier's extraction rules (`answerRules`, `ssb-curate --answer-rules`), checked before any
 * rollout is graded: a misspelt rule would otherwise only surface from the verifier at the first grade, and a
 * rule given twice says nothing the first one did not. `label` names the option or flag in the message.
 */
export function checkAnswerRules(value: unknown, label: string): readonly ExtractionRule[] {
  const valid = `valid rules: ${ALL_EXTRACTION_RULES.join(", ")}`;
  if (!Array.isArray(value) || value.length === 0)
    throw new TypeError(
      `${label} must be a non-empty list of extraction rules (${valid}), found ${Array.isArray(value) ? "an empty list" : describe(value)}`,
    );
  const seen = new Set<string>();
  for (const rule of value as unknown[]) {
    // `--answer-rules "boxed,"` splits into "boxed" and "": `unknown rule ""` left the user looking for a rule.
    if (typeof rule === "string" && rule.trim() === "")
      throw new RangeError(`${label}: empty rule name (a stray comma?); ${valid}`);
    if (typeof rule !== "string" || !(ALL_EXTRACTION_RULES as readonly string[]).includes(rule)) {
      const near = typeof rule === "string" ? closestKey(rule, ALL_EXTRACTION_RULES) : undefined;
      const guess = near === undefined ? "" : `, did you mean "${near}"?`;
      throw new RangeError(
        `${label}: unknown rule ${typeof rule === "string" ? JSON.stringify(rule) : describe(rule)}${guess} (${valid})`,
      );
    }
    if (seen.has(rule)) throw new RangeError(`${label}: rule "${rule}" is given twice`);
    seen.add(rule);
  }
  return value as readonly ExtractionRule[];
}

/**
 * True when the rules are the default grader's (boxed only) or not given, so such a run is the same as one
 * without them.
 */
export function isDefaultAnswerRules(rules: readonly string[] | undefined): boolean {
  return (
    rules === undefined ||
    (rules.length === DEFAULT_ANSWER_RULES.length && rules.every((r, i) => r === DEFAULT_ANSWER_RULES[i]))
  );
}

export function makeVerifierGrader(options: GradeOptions = {}): Grader {
  const resolved: GradeOptions = { rules: DEFAULT_ANSWER_RULES, ...options };
  return (response, gold) => {
    const r = grade(response, gold, resolved);
    return { verdict: r.verdict, extracted: r.extracted, reason: r.reason };
  };
}

export function makeVerifierEquivalence(options: EquivalenceOptions = {}): AnswerEquivalence {
  return (a, b) => isEquivalent(a, b, options);
}

/** grade() with boxed-only extraction. */
export const verifierGrader: Grader = makeVerifierGrader();

/** isEquivalent() with the verifier's default tolerances. */
export const verifierEquivalence: AnswerEquivalence = makeVerifierEquivalence();
