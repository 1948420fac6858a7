/** How a response was judged: right, wrong, or carrying no final answer we could find. */
export type Verdict = "correct" | "wrong" | "no-answer";

/** Which extraction rule produced the final answer. */
export type ExtractionRule =
  | "boxed"
  | "gsm8k"
  | "answer-is"
  | "final-answer"
  | "dollar"
  | "answer-tag"
  | "last-number";

/** Every rule, in the default order of precedence. */
export const ALL_EXTRACTION_RULES: readonly ExtractionRule[] = [
  "boxed",
  "gsm8k",
  "final-answer",
  "answer-is",
  "dollar",
  "answer-tag",
  "last-number",
];

/** The default rules: everything but the last-number fallback, which guesses. */
export const DEFAULT_EXTRACTION_RULES: readonly ExtractionRule[] = [
  "boxed",
  "gsm8k",
  "final-answer",
  "answer-is",
  "dollar",
  "answer-tag",
];

export interface Extraction {
  /** The final answer, as written (box contents, text after `####`, ...), trimmed. */
  answer: string;
  rule: ExtractionRule;
  /**
   * Every answer in the response's final group of boxes (for `\boxed{3}` or `\boxed{5}` it is `["3", "5"]`).
   * Non-empty; its last entry equals `answer`.
   */
  candidates: string[];
}

export interface ExtractOptions {
  /** Rules to try, in order; the first that finds something wins. Default: DEFAULT_EXTRACTION_RULES. */
  rules?: readonly ExtractionRule[];
  /** Only the last `maxResponseChars` characters are searched (final answers live at the end). Default 200,000. */
  maxResponseChars?: number;
}

export interface EquivalenceOptions {
  /** Relative tolerance for numeric comparison. Default 1e-6. */
  relativeTolerance?: number;
  /** Absolute tolerance, for values near zero. Default 0: none, so tiny numbers stay distinct (1e-10 ≠ 0). */
  absoluteTolerance?: number;
  /** Accept `50` and `0.5` for a gold of `50\%` (and vice versa). Default true. */
  percentAsFraction?: boolean;
  /** Time budget in milliseconds; when spent, the comparison gives up and says not equivalent. Default 50. */
  budgetMs?: number;
  /** Answers longer than this are compared as normalised strings only. Default 1,000 characters. */
  maxAnswerChars?: number;
}

export interface GradeOptions extends EquivalenceOptions, ExtractOptions {
  /**
   * When the final group of boxes holds several values that are not all equivalent (hedging, e.g. `\boxed{3}` or
   * `\boxed{5}`), the response is wrong even if one of them is right. Default true.
   */
  rejectHedging?: boolean;
}

export interface GradeResult {
  verdict: Verdict;
  correct: boolean;
  /** The extracted final answer, or null when none was found. */
  extracted: string | null;
  rule: ExtractionRule | null;
  /** The extracted and gold answers after string normalisation (what the comparison started from). */
  normalizedExtracted: string | null;
  normalizedGold: string;
  /** Why: `equivalent`, `not-equivalent`, `no-answer`, `hedged`, `budget-exceeded`, `empty-gold`, ... */
  reason: string;
}
