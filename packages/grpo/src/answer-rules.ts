/**
 * The verifier's extraction rules the default reward reads answers with (`reward.rules`, `--answer-rules`).
 * Boxed only by default, as SSB's prompts ask; R1-Zero / open-r1 prompts ask for `<answer>...</answer>`, whose
 * replies all get the noAnswer reward unless "answer-tag" is among the rules.
 *
 * @ssb/grpo reaches @ssb/verifier only through @ssb/curation (not a dependency of its own), so the rule type
 * is taken from curation's makeVerifierGrader and the names are listed here; the two checks below make tsc
 * fail when the verifier gains or loses a rule, and answer-rules.test.ts compares the order with the
 * verifier's ALL_EXTRACTION_RULES.
 */

import { closestKey, UsageError } from "@ssb/cli-kit";
import type { makeVerifierGrader } from "@ssb/curation";

/** One of @ssb/verifier's extraction rules ("boxed", "answer-tag", ...). */
export type ExtractionRule = NonNullable<
  NonNullable<Parameters<typeof makeVerifierGrader>[0]>["rules"]
>[number];

/** Every rule, in @ssb/verifier's order (ALL_EXTRACTION_RULES). */
export const EXTRACTION_RULES = [
  "boxed",
  "gsm8k",
  "final-answer",
  "answer-is",
  "dollar",
  "answer-tag",
  "last-number",
] as const satisfies readonly ExtractionRule[];

// A rule the verifier has and the list lacks fails to compile here.
type MissingRule = Exclude<ExtractionRule, (typeof EXTRACTION_RULES)[number]>;
const everyRuleListed: [MissingRule] extends [never] ? true : MissingRule = true;
void everyRuleListed;

/** The default reward's rules: boxed answers only (what the runs before the setting were rewarded by). */
export const DEFAULT_ANSWER_RULES: readonly ExtractionRule[] = ["boxed"];

export const ANSWER_RULES_FLAG = "--answer-rules";

/** The rules of a reward setting: its `rules`, or the default when it has none. */
export function answerRules(settings: {
  rules?: readonly ExtractionRule[] | undefined;
}): readonly ExtractionRule[] {
  return settings.rules ?? DEFAULT_ANSWER_RULES;
}

/** Whether `rules` are the default ones (then left out of a recorded config, which stays as before). */
export function isDefaultAnswerRules(rules: readonly string[] | undefined): boolean {
  return (
    rules === undefined ||
    (rules.length === DEFAULT_ANSWER_RULES.length && rules.every((r, i) => r === DEFAULT_ANSWER_RULES[i]))
  );
}

/**
 * `value` as a list of rules, or an Error saying what is wrong with it, prefixed by `where` (the field or
 * flag): not a non-empty list of strings, a name that is no rule (with the closest one), a rule given twice.
 */
export function checkAnswerRules(value: unknown, where: string): ExtractionRule[] {
  const names = `the rules are ${EXTRACTION_RULES.join(", ")}`;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string"))
    throw new Error(
      `${where} must be a non-empty list of answer extraction rules (${names}), found ${JSON.stringify(value)}`,
    );
  const known: readonly string[] = EXTRACTION_RULES;
  const seen = new Set<string>();
  for (const name of value as string[]) {
    if (!known.includes(name)) {
      const near = closestKey(name, known);
      throw new Error(
        `${where}: unknown answer extraction rule ${JSON.stringify(name)}${near ? ` (did you mean "${near}"?)` : ""}; ${names}`,
      );
    }
    if (seen.has(name)) throw new Error(`${where}: the rule ${JSON.stringify(name)} is given twice`);
    seen.add(name);
  }
  return value as ExtractionRule[];
}

/**
 * `--answer-rules boxed,answer-tag` as rules; a bad list is a usage error naming the flag and the config field
 * it sets.
 */
export function answerRulesFlag(text: string | undefined): ExtractionRule[] | undefined {
  if (text === undefined) return undefined;
  try {
    return checkAnswerRules(
      text.split(",").map((s) => s.trim()),
      `${ANSWER_RULES_FLAG} (the config's reward.rules)`,
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
