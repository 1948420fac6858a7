/**
 * The pluggable grading interfaces. Curation only needs a verdict per response and an equivalence test between
 * two answers; @ssb/verifier supplies both by default (see verifier-defaults.ts), but any function fits — a
 * code-execution checker, an exact-match baseline, or a fake in tests.
 */
import type { Verdict } from "./records.js";

export interface GradeOutcome {
  verdict: Verdict;
  /** The extracted final answer, or null when none was found. */
  extracted: string | null;
  /** A short human-readable reason, kept in records and summaries. */
  reason: string;
}

/** Grades one response against the gold answer. */
export type Grader = (response: string, gold: string) => GradeOutcome;

/** True when two extracted answers are the same answer (e.g. "18.00" and "18"). */
export type AnswerEquivalence = (a: string, b: string) => boolean;

/** Exact string match after trimming: the reference code's behaviour, useful as a baseline and in tests. */
export const exactMatch: AnswerEquivalence = (a, b) => a.trim() === b.trim();
