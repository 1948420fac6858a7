/**
 * The final answer of a gold that is written as a whole worked solution. Datasets keep their gold that way:
 * GSM8K's `answer` is the worked solution ending `#### 72`, MATH's `solution` ends in `\boxed{...}`. Compared
 * as it is, such a gold equals no final answer, so every response graded against it was silently wrong
 * (`ssb-verify --gold-field answer` on GSM8K's own lines, `accuracyReward` on a dataset's `solution` column).
 */
import { isEquivalent } from "./equivalence.js";
import { extractAnswer } from "./extract.js";
import type { ExtractOptions } from "./types.js";

// One object each, so the option check (done once per object) is not repeated on every gold.
const GSM8K_RULE: ExtractOptions = { rules: ["gsm8k"] };
const BOXED_RULE: ExtractOptions = { rules: ["boxed"] };

/** `\boxed` or `\fbox`, as the boxed extraction rule finds them (`\boxed{5}`, `\boxed 5`). */
const BOX = /\\(?:boxed|fbox)(?![a-zA-Z])/;

/**
 * The gold's final answer: the text after the last `####` (GSM8K), or the final group of boxes (MATH: two
 * boxed roots are the list `1, -2`, one value boxed in two forms is that value); any other gold as it is. A final answer itself never holds `####` or a
 * box, so a plain gold is unchanged.
 */
export function goldFinalAnswer(gold: string): string {
  if (gold.includes("####")) {
    const found = extractAnswer(gold, GSM8K_RULE);
    if (found !== null) return found.answer;
  }
  if (BOX.test(gold)) {
    const found = extractAnswer(gold, BOXED_RULE);
    if (found === null) return gold;
    // One value boxed twice (`\boxed{15\frac{39}{40}}, or \boxed{\frac{639}{40}}`) is that value; different
    // values boxed together are the solutions of the problem, a list.
    const same = found.candidates.every((c) => isEquivalent(c, found.answer));
    return same ? found.answer : found.candidates.join(", ");
  }
  return gold;
}
