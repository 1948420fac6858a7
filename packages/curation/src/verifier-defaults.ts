/**
 * @ssb/verifier as the default grader and answer equivalence.
 *
 * The default grader only reads `\boxed{}` answers: SSB's prompts ask for a boxed final answer and the issue
 * counts an unboxed response as no-answer (the reference code likewise parses only `\boxed{}`). Pass other
 * extraction rules through makeVerifierGrader when your rollouts use another answer format.
 */
import { type EquivalenceOptions, type GradeOptions, grade, isEquivalent } from "@ssb/verifier";
import type { AnswerEquivalence, Grader } from "./grader.js";

export function makeVerifierGrader(options: GradeOptions = {}): Grader {
  const resolved: GradeOptions = { rules: ["boxed"], ...options };
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
