import { type Budget, BudgetExceededError, startBudget } from "./budget.js";
import { compareAnswers } from "./equivalence.js";
import { extractAnswer } from "./extract.js";
import { goldFinalAnswer } from "./gold-answer.js";
import { normalizeAnswer } from "./normalize.js";
import { answerText, checkOptions } from "./options-check.js";
import { shapeOf } from "./structure.js";
import type { Extraction, GradeOptions, GradeResult } from "./types.js";

const MAX_GOLD_CHARS = 10_000;

/** The group of boxes holds different values (`\boxed{3}` or `\boxed{5}`). */
function isHedged(extraction: Extraction, options: GradeOptions, budget: Budget): boolean {
  const first = extraction.candidates[0] as string;
  return extraction.candidates.some((c) => !compareAnswers(c, first, options, budget).equivalent);
}

/**
 * Grades a model response against a gold answer: extracts the final answer, compares it by mathematical
 * equivalence, and says why. A gold that is a whole worked solution is read as its final answer (the text after
 * GSM8K's last `####`, or the final `\boxed{}` of a MATH solution). Never throws, whatever the response and gold (a numeric gold is read as its text);
 * bounded in time by `budgetMs` (default 50 ms) and in work by the size limits in the options. Invalid
 * options throw (before any grading), because they would otherwise make every verdict silently wrong.
 */
export function grade(response: string, gold: string, options: GradeOptions = {}): GradeResult {
  checkOptions("grade", options);
  const responseText = answerText(response);
  // A gold written as a worked solution (GSM8K's `... #### 72`, MATH's `\boxed{}`) is graded by its final answer.
  const goldText = goldFinalAnswer(answerText(gold)).slice(0, MAX_GOLD_CHARS);
  const normalizedGold = (() => {
    try {
      return normalizeAnswer(goldText).text;
    } catch {
      return goldText.trim();
    }
  })();
  const base: GradeResult = {
    verdict: "wrong",
    correct: false,
    extracted: null,
    rule: null,
    normalizedExtracted: null,
    normalizedGold,
    reason: "not-equivalent",
  };
  const budget = startBudget(options.budgetMs ?? 50);
  try {
    if (normalizedGold.length === 0) return { ...base, reason: "empty-gold" };
    const extraction = extractAnswer(responseText, options);
    if (extraction === null) return { ...base, verdict: "no-answer", reason: "no-answer" };
    const found = { ...base, extracted: extraction.answer, rule: extraction.rule };

    let answer = extraction.answer;
    if (extraction.candidates.length > 1 && isHedged(extraction, options, budget)) {
      const goldShape = shapeOf(normalizedGold).kind;
      // Several boxed solutions (`\boxed{1}` and `\boxed{-2}`) answer a gold list; otherwise it is a hedge.
      if (goldShape === "list" || goldShape === "set") answer = extraction.candidates.join(", ");
      else if (options.rejectHedging ?? true) {
        return { ...found, normalizedExtracted: normalizeAnswer(answer).text, reason: "hedged" };
      }
    }
    const comparison = compareAnswers(answer, goldText, options, budget);
    return {
      ...found,
      extracted: answer,
      verdict: comparison.equivalent ? "correct" : "wrong",
      correct: comparison.equivalent,
      normalizedExtracted: comparison.normalizedPredicted,
      reason: comparison.equivalent ? "equivalent" : "not-equivalent",
    };
  } catch (error) {
    if (error instanceof BudgetExceededError) return { ...base, reason: "budget-exceeded" };
    return { ...base, reason: `verifier-error: ${error instanceof Error ? error.message : String(error)}` };
  }
}
