/**
 * Replies in the R1-Zero / open-r1 format, `<think>...</think><answer>...</answer>`, whose final answer is the
 * answer block's content, often written without a box. Before the `answer-tag` rule these were no answer
 * (`<answer>42</answer>`), read with the closing tag glued on (`The answer is 1/2</answer>` gave `1/2</answer>`,
 * graded wrong), or graded by an answer outside the block (`\boxed{3}` in the working, `<answer>5</answer>`).
 */
import { describe, expect, it } from "vitest";
import { answerScope } from "./answer-tags.js";
import {
  ALL_EXTRACTION_RULES,
  DEFAULT_EXTRACTION_RULES,
  type ExtractionRule,
  extractAnswer,
  grade,
  type Verdict,
} from "./index.js";

const r = String.raw;

describe("answerScope", () => {
  it.each([
    ["no tags", "So 5.", { text: "So 5.", inBlock: false }],
    ["one block", "a <answer>5</answer> b", { text: "5", inBlock: true }],
    ["the last of two blocks", "<answer>3</answer> no: <answer>5</answer>", { text: "5", inBlock: true }],
    ["an empty block", "\\boxed{5} <answer></answer>", { text: "", inBlock: true }],
    // A sampler that stops at the string </answer> leaves it out of the text: the block runs to the end.
    ["a block never closed", "So \\boxed{5}. <answer>6", { text: "6", inBlock: true }],
    ["an open block after a complete one", "<answer>5</answer> <answer>6", { text: "6", inBlock: true }],
    ["a closing tag alone", "So 5.</answer>", { text: "So 5.</answer>", inBlock: false }],
    // A block opens at the last <answer> before its </answer>, not the first.
    ["an opening tag repeated", "<answer>\n<answer>42</answer>", { text: "42", inBlock: true }],
    ["an opening tag repeated, never closed", "<answer>3 <answer>42", { text: "42", inBlock: true }],
    // A blank block never closed is an empty block, as <answer></answer> (a stop string cut the one from the other).
    ["a blank open block after a complete one", "<answer>42</answer> <answer>", { text: "", inBlock: true }],
    ["a blank open block alone", "So \\boxed{5}. <answer> \n", { text: " \n", inBlock: true }],
  ])("%s", (_label, text, scope) => expect(answerScope(text)).toEqual(scope));
});

/** [label, response, expected answer, expected rule] under the default rules. */
const EXTRACTED: (readonly [string, string, string, ExtractionRule])[] = [
  ["bare number", "<think>\nso 6*7\n</think>\n<answer>42</answer>", "42", "answer-tag"],
  ["spaces and line breaks around it", "<think>x</think> <answer>\n 42 \n</answer>", "42", "answer-tag"],
  ["a bare expression as itself", "<think>x</think><answer>x^2+1</answer>", "x^2+1", "answer-tag"],
  ["a bare fraction", r`<think>x</think><answer>\frac{1}{2}</answer>`, r`\frac{1}{2}`, "answer-tag"],
  ["an equation", "<think>x</think><answer>x = 5</answer>", "x = 5", "answer-tag"],
  ["bold, with a full stop", "<think>x</think><answer>**42**.</answer>", "42", "answer-tag"],
  ["a tuple", "<think>x</think><answer>(1, 2)</answer>", "(1, 2)", "answer-tag"],
  ["a box in it wins", r`<think>x</think><answer>So it is \boxed{7} apples</answer>`, "7", "boxed"],
  [
    "the answer is ... (not 1/2</answer>)",
    "<think>x</think><answer>The answer is 1/2</answer>",
    "1/2",
    "answer-is",
  ],
  [
    "the answer is $...$",
    r`<think>x</think><answer>The answer is $\frac{1}{2}$</answer>`,
    r`\frac{1}{2}`,
    "answer-is",
  ],
  ["math in dollars", r`<think>x</think><answer>$\frac{1}{2}$</answer>`, r`\frac{1}{2}`, "dollar"],
  ["#### inside", "<answer>#### 18</answer>", "18", "gsm8k"],
  ["a box outside the block is ignored", "So \\boxed{3}.\n<answer>5</answer>", "5", "answer-tag"],
  ["a phrase outside the block is ignored", "The answer is 3.\n<answer>5</answer>", "5", "answer-tag"],
  ["a box after the block is ignored", "<think>x</think><answer>5</answer>\n\\boxed{6}", "5", "answer-tag"],
  ["the last block wins", "<answer>3</answer> wait, no. <answer>5</answer>", "5", "answer-tag"],
  [
    "a block inside the thinking is thinking",
    "<think>maybe <answer>3</answer></think><answer>5</answer>",
    "5",
    "answer-tag",
  ],
  ["no thinking tags at all", "<answer>42</answer>", "42", "answer-tag"],
  ["the block's last box group", r`<answer>\boxed{1} and \boxed{-2}</answer>`, "-2", "boxed"],
  ["an opening tag written twice", "<answer>\n<answer>42</answer>", "42", "answer-tag"],
  ["an opening tag written twice, never closed", "<think>x</think><answer>\n<answer>42", "42", "answer-tag"],
];

/** Replies with no answer under the default rules. */
const NO_ANSWER: (readonly [string, string])[] = [
  ["an empty block: the text outside it is not the answer", "<think>x</think>\\boxed{5}<answer></answer>"],
  ["a blank block", "<think>x</think>\\boxed{5}<answer> \n </answer>"],
  ["stopped right after the opening tag, nothing else", "<think>x</think><answer>"],
  // A blank block left open is an empty one: `<answer></answer>` with its closing tag cut by a stop string.
  ["stopped right after the opening tag", "<think>x</think>\\boxed{5}<answer>"],
  ["a blank open block after a complete one", "<answer>42</answer> <answer>"],
  ["a blank open block after a complete one, with line breaks", "<answer>42</answer>\n<answer>\n"],
  ["a block inside a thinking cut off", "<think>so <answer>42</answer> maybe"],
];

describe("answer blocks: extraction", () => {
  it.each(EXTRACTED)("%s", (_label, response, answer, rule) => {
    expect(extractAnswer(response)).toMatchObject({ answer, rule });
  });
  it.each(NO_ANSWER)("%s: no answer", (_label, response) => {
    expect(extractAnswer(response)).toBeNull();
    expect(extractAnswer(response, { rules: ALL_EXTRACTION_RULES })).toBeNull();
  });
  it("a prose block is itself the candidate (graded wrong), never matched by a number inside it", () => {
    // The block's whole text is the answer (answer-tag comes before last-number), not its last number, as
    // `\boxed{I could not solve it}` is graded by its whole content.
    expect(extractAnswer("<answer>I could not solve it</answer>")).toMatchObject({
      answer: "I could not solve it",
      rule: "answer-tag",
    });
    expect(
      extractAnswer("<answer>about x^2+1 or so</answer>", { rules: ALL_EXTRACTION_RULES }),
    ).toMatchObject({
      answer: "about x^2+1 or so",
      rule: "answer-tag",
    });
  });
  it("a block whose closing tag a stop string removed runs to the end of the reply", () => {
    // ssb-rollout --stop '</answer>' and vLLM's default both leave the stop string out of the text.
    expect(extractAnswer("<think>x</think><answer>4")).toMatchObject({ answer: "4", rule: "answer-tag" });
    expect(extractAnswer(r`<think>x</think><answer>\boxed{42}`)).toMatchObject({
      answer: "42",
      rule: "boxed",
    });
    expect(extractAnswer("So \\boxed{7}.\n<answer>5")).toMatchObject({ answer: "5", rule: "answer-tag" });
  });
});

describe("answer blocks: rules", () => {
  it("is a default rule, after every other default and before last-number", () => {
    expect(DEFAULT_EXTRACTION_RULES).toEqual([
      "boxed",
      "gsm8k",
      "final-answer",
      "answer-is",
      "dollar",
      "answer-tag",
    ]);
    expect(ALL_EXTRACTION_RULES).toEqual([
      "boxed",
      "gsm8k",
      "final-answer",
      "answer-is",
      "dollar",
      "answer-tag",
      "last-number",
    ]);
  });
  it("boxed-only grading reads a box inside the block and nothing else", () => {
    const boxedOnly = { rules: ["boxed"] as const };
    expect(extractAnswer(r`<think>x</think><answer>\boxed{7}</answer>`, boxedOnly)?.answer).toBe("7");
    expect(extractAnswer("<think>x</think><answer>42</answer>", boxedOnly)).toBeNull();
    // A box outside the block is not the answer either.
    expect(extractAnswer(r`\boxed{3} <answer>5</answer>`, boxedOnly)).toBeNull();
  });
  it("an explicit list written before the rule existed still scopes to the block (last-number reads inside it)", () => {
    const oldAll: ExtractionRule[] = ["boxed", "gsm8k", "final-answer", "answer-is", "dollar", "last-number"];
    expect(
      extractAnswer("So 3 apples.\n<answer>5 apples</answer>\nChecked 2 times.", { rules: oldAll }),
    ).toMatchObject({
      answer: "5",
      rule: "last-number",
    });
  });
  it("answer-tag alone finds nothing in a reply without a block", () => {
    expect(extractAnswer(r`\boxed{5}`, { rules: ["answer-tag"] })).toBeNull();
    expect(extractAnswer("The answer is 5", { rules: ["answer-tag"] })).toBeNull();
  });
  it("a long reply's block is found before the tail is cut", () => {
    const reply = `<think>${"x ".repeat(500)}</think><answer>42</answer>${" ".repeat(300)}`;
    expect(extractAnswer(reply, { maxResponseChars: 100 })?.answer).toBe("42");
  });
});

/** [label, response, gold, verdict] */
const GRADED: (readonly [string, string, string, Verdict])[] = [
  ["bare number", "<think>\n6*7=42\n</think>\n<answer>42</answer>", "42", "correct"],
  ["bare number, wrong", "<think>\n6*7=42\n</think>\n<answer>41</answer>", "42", "wrong"],
  ["the answer is 1/2", "<think>x</think><answer>The answer is 1/2</answer>", r`\frac{1}{2}`, "correct"],
  [
    "the answer is $\\frac12$",
    r`<think>x</think><answer>The answer is $\frac{1}{2}$</answer>`,
    "0.5",
    "correct",
  ],
  ["boxed in the block", r`<think>x</think><answer>\boxed{7}</answer>`, "7", "correct"],
  ["a bare fraction", r`<answer>\dfrac{1}{2}</answer>`, "0.5", "correct"],
  ["an expression", "<answer>(x-1)(x+1)</answer>", "x^2-1", "correct"],
  ["an equation against a number", "<answer>x = 5</answer>", "5", "correct"],
  ["with a unit", "<answer>18 dollars</answer>", "18", "correct"],
  ["a thousands separator", "<answer>1,080</answer>", "1080", "correct"],
  ["a tuple", "<answer>(1, 2)</answer>", "(1,2)", "correct"],
  ["a hedge in words", "<answer>3 or 5</answer>", "5", "wrong"],
  ["the right box outside, a wrong answer in the block", r`\boxed{5} <answer>6</answer>`, "5", "wrong"],
  ["prose", "<answer>I could not solve it</answer>", "5", "wrong"],
  ["stopped before the closing tag", "<think>x</think><answer>42", "42", "correct"],
  ["an opening tag written twice", "<answer>\n<answer>42</answer>", "42", "correct"],
  ["a blank open block after a complete one", "<answer>42</answer> <answer>", "42", "no-answer"],
];

describe("answer blocks: grade", () => {
  it.each(GRADED)("%s", (_label, response, gold, verdict) => {
    expect(grade(response, gold).verdict).toBe(verdict);
  });
  it("reports the rule", () => {
    expect(grade("<answer>42</answer>", "42")).toMatchObject({ rule: "answer-tag", extracted: "42" });
  });
});
