/** @ssb/verifier as the default grader and answer equivalence. */
import { grade, isEquivalent } from "@ssb/verifier";
import type { AnswerEquivalence, Grader } from "./grader.js";

export const verifierGrader: Grader = (response, gold) => {
  const r = grade(response, gold);
  return { verdict: r.verdict, extracted: r.extracted, reason: r.reason };
};

export const verifierEquivalence: AnswerEquivalence = (a, b) => isEquivalent(a, b);
