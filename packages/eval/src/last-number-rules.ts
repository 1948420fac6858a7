/**
 * The rule list `--last-number` grades with: the verifier's default rules, then the last-number fallback.
 * Written out before @ssb/verifier learned `answer-tag` (R1-Zero's `<answer>42</answer>`), the list lacked it,
 * so an answer block's `x^2+1` was read as `1`. A run started with that older list keeps it on resume: its
 * records were graded by it, and run.json compares the rule list as a setting.
 */
import { existsSync } from "node:fs";
import { DEFAULT_EXTRACTION_RULES, type ExtractionRule } from "@ssb/verifier";
import { readRunManifest } from "./run-manifest.js";

/** The list `--last-number` wrote before the verifier had `answer-tag`. */
export const LEGACY_LAST_NUMBER_RULES: readonly ExtractionRule[] = [
  "boxed",
  "gsm8k",
  "final-answer",
  "answer-is",
  "dollar",
  "last-number",
];

/** `--last-number`'s rules for the run in `runFile` (run.json): the legacy list where that run recorded it. */
export function lastNumberRules(runFile: string): ExtractionRule[] {
  if (existsSync(runFile)) {
    try {
      const recorded = readRunManifest(runFile).grade.rules;
      if (JSON.stringify(recorded) === JSON.stringify(LEGACY_LAST_NUMBER_RULES))
        return [...LEGACY_LAST_NUMBER_RULES];
    } catch {
      // An unreadable run.json is named by the run's own checks.
    }
  }
  return [...DEFAULT_EXTRACTION_RULES, "last-number"];
}
