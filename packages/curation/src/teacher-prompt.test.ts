import { describe, expect, it } from "vitest";
import {
  DEFAULT_TEMPLATE,
  EXACT_TEMPLATE,
  fillTemplate,
  MATH_TUTOR_SYSTEM_PROMPT,
  renderStudentMessages,
  renderTeacherMessages,
  type TeacherPromptFields,
  validateTemplate,
} from "./teacher-prompt.js";
import { parseTemplateFile } from "./template-file.js";

const fields: TeacherPromptFields = {
  question: "Tom has 3 apples and buys 15 more.\nHow many apples does he have?",
  correct_response: "3 + 15 = 18.\nSo the answer is \\boxed{18}.",
  wrong_response: "3 * 15 = 45.\nSo the answer is \\boxed{45}.",
  correct_answer: "18",
  wrong_answer: "45",
};

// Written out by hand from the reference code's f-string: the source indents every continuation line by 12
// spaces, blank lines carry no spaces, inserted texts are not indented, and the closing `"""` sits on an
// indented line of its own (hence the trailing "\n" + 12 spaces). Correct response first.
const S = "            ";
const EXPECTED_EXACT_USER =
  "We have two sample responses from students for a math problem for you to observe. One of the responses is correct and the other is incorrect. The students were asked to put the final answer inside boxed in their responses. Only this final answer was checked by an automatic evaluator. The following is the problem:\n" +
  `${S}---\n` +
  `${S}Tom has 3 apples and buys 15 more.\nHow many apples does he have?\n` +
  `${S}---\n` +
  "\n" +
  `${S}This is the correct response from a student:\n` +
  `${S}---\n` +
  `${S}3 + 15 = 18.\nSo the answer is \\boxed{18}.\n` +
  `${S}---\n` +
  "\n" +
  `${S}This is an attempt by another student which was labelled as incorrect by auto-evaluator:\n` +
  `${S}---\n` +
  `${S}3 * 15 = 45.\nSo the answer is \\boxed{45}.\n` +
  `${S}---\n` +
  "\n" +
  `${S}Write a coherent, step-by-step derivation of the solution. Do not skip any step in your response and make it as detailed as posible. This should be a standalone solution of the given problem since this solution will be used by the students for studying and learning. Make the solution robust by cautioning about potential errors or wrong chain of reasoning. However, do not mention in your response that you were provided attempted responses by the students. There should not be a slightest mention or hint that you are actually refining from correct or incorrect responses written by students.\n` +
  "\n" +
  `${S}Conclude the entire response with the final answer, enclosed in boxed, at the very end. Make sure your enclosed final answer exactly matches the enclosed final answer in the given correct response of the student.\n` +
  S;

const EXPECTED_SYSTEM =
  "**Role:** You are an expert math tutor. When you are given a problem to solve, you provide detailed step-by-step reasoning in your solution. Your response is clear, precise, and unambiguous. You do not skip any step. You put your final answer within \\boxed{} at the end of your response.";

describe("teacher prompt templates", () => {
  it("exact mode reproduces the reference prompt byte for byte", () => {
    const [system, user] = renderTeacherMessages(EXACT_TEMPLATE, fields);
    expect(user).toEqual({ role: "user", content: EXPECTED_EXACT_USER });
    expect(system).toEqual({ role: "system", content: `${EXPECTED_SYSTEM}\n${S}` });
    expect(Buffer.from(user!.content).equals(Buffer.from(EXPECTED_EXACT_USER))).toBe(true);
  });

  it("the default system prompt is the paper's math-tutor prompt", () => {
    expect(MATH_TUTOR_SYSTEM_PROMPT).toBe(EXPECTED_SYSTEM);
    expect(MATH_TUTOR_SYSTEM_PROMPT).toContain("put your final answer within \\boxed{}");
  });

  it("default mode is the same text without the stray indentation", () => {
    const [system, user] = renderTeacherMessages(DEFAULT_TEMPLATE, fields);
    expect(system!.content).toBe(EXPECTED_SYSTEM);
    const dedented = EXPECTED_EXACT_USER.split("\n")
      .map((l) => (l.startsWith(S) ? l.slice(S.length) : l))
      .join("\n")
      .replace("posible", "possible")
      .trimEnd();
    expect(user!.content).toBe(dedented);
    expect(user!.content).not.toMatch(/^ /m);
    // Correct response first, both between --- lines.
    const c = user!.content.indexOf(fields.correct_response);
    const w = user!.content.indexOf(fields.wrong_response);
    expect(c).toBeGreaterThan(0);
    expect(w).toBeGreaterThan(c);
    expect(user!.content).toContain(`---\n${fields.correct_response}\n---`);
  });

  it("fills placeholders in one pass (inserted text is never re-expanded)", () => {
    const tricky = { ...fields, correct_response: "see {{wrong_response}}" };
    expect(fillTemplate("A {{correct_response}} B {{ wrong_response }}", tricky)).toBe(
      `A see {{wrong_response}} B ${fields.wrong_response}`,
    );
  });

  it("student view is system prompt + bare question", () => {
    expect(renderStudentMessages("Q?")).toEqual([
      { role: "system", content: EXPECTED_SYSTEM },
      { role: "user", content: "Q?" },
    ]);
  });

  it("validates custom templates and names the file", () => {
    expect(() => validateTemplate({ name: "x", system: "", user: "{{question}} {{gold}}" })).toThrow(
      /\{\{gold\}\}/,
    );
    expect(() => validateTemplate({ name: "x", system: "", user: "no question" })).toThrow(
      /\{\{question\}\}/,
    );
    const t = parseTemplateFile(
      "my.json",
      JSON.stringify({ user: "Q: {{question}} A: {{correct_response}}" }),
    );
    expect(t).toEqual({
      name: "my.json",
      system: EXPECTED_SYSTEM,
      user: "Q: {{question}} A: {{correct_response}}",
    });
    expect(parseTemplateFile("p.txt", "{{question}}\n").user).toBe("{{question}}\n");
    expect(() => parseTemplateFile("bad.json", "{nope")).toThrow(/^bad\.json: invalid JSON/);
    expect(() => parseTemplateFile("bad.json", JSON.stringify({ user: 3 }))).toThrow(
      /bad\.json: field "user"/,
    );
  });
});
