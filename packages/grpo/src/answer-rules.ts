/**
 * The verifier's extraction rules the default reward reads answers with (`reward.rules`, `--answer-rules`).
 * Boxed only by default, as SSB's prompts ask; R1-Zero / open-r1 prompts ask for `<answer>...</answer>`, whose
 * replies all get the noAnswer reward unless "answer-tag" is among the rules. The rule list, its check and the
 * default are @ssb/curation's (the grader's own), so grpo and curation accept and refuse the same names.
 */

import { UsageError } from "@ssb/cli-kit";
import {
  ANSWER_RULES,
  checkAnswerRules,
  DEFAULT_ANSWER_RULES,
  type ExtractionRule,
  isDefaultAnswerRules,
} from "@ssb/curation";

export { checkAnswerRules, DEFAULT_ANSWER_RULES, type ExtractionRule, isDefaultAnswerRules };

/** Every rule, in @ssb/verifier's order. */
export const EXTRACTION_RULES: readonly ExtractionRule[] = ANSWER_RULES;

export const ANSWER_RULES_FLAG = "--answer-rules";

/** The rules of a reward setting: its `rules`, or the default when it has none. */
export function answerRules(settings: {
  rules?: readonly ExtractionRule[] | undefined;
}): readonly ExtractionRule[] {
  return settings.rules ?? DEFAULT_ANSWER_RULES;
}

/**
 * `--answer-rules boxed,answer-tag` as rules; a bad list is a usage error naming the flag and the config field
 * it sets.
 */
export function answerRulesFlag(text: string | undefined): ExtractionRule[] | undefined {
  if (text === undefined) return undefined;
  try {
    return [
      ...checkAnswerRules(
        text.split(",").map((s) => s.trim()),
        `${ANSWER_RULES_FLAG} (the config's reward.rules)`,
      ),
    ];
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
