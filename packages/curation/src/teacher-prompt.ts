/**
 * Teacher prompt templates. The teacher sees the problem, one correct and one incorrect student response
 * (correct first, each between `---` lines) and is asked for a standalone, robust, step-by-step derivation
 * that never mentions the students and ends with the same boxed answer.
 *
 * Placeholders are `{{name}}` (double braces, because prompts contain LaTeX such as `\boxed{}`), filled in a
 * single pass so a response that itself contains `{{wrong_response}}` is inserted verbatim, never re-expanded.
 */
import type { ChatMessage } from "./records.js";

/** The paper's math-tutor system prompt, used for the student (bare question) and, by default, the teacher. */
export const MATH_TUTOR_SYSTEM_PROMPT =
  "**Role:** You are an expert math tutor. When you are given a problem to solve, you provide detailed " +
  "step-by-step reasoning in your solution. Your response is clear, precise, and unambiguous. You do not skip " +
  "any step. You put your final answer within \\boxed{} at the end of your response.";

export interface TeacherTemplate {
  /** Recorded in every pair, so a pairs file says which prompt produced it. */
  name: string;
  /** The teacher's system prompt. */
  system: string;
  /** The teacher's user turn, with `{{placeholders}}`. */
  user: string;
}

/** What a template can refer to. */
export interface TeacherPromptFields {
  question: string;
  correct_response: string;
  wrong_response: string;
  correct_answer: string;
  wrong_answer: string;
}

export const TEMPLATE_FIELDS: readonly (keyof TeacherPromptFields)[] = [
  "question",
  "correct_response",
  "wrong_response",
  "correct_answer",
  "wrong_answer",
];

const INTRO =
  "We have two sample responses from students for a math problem for you to observe. One of the responses is " +
  "correct and the other is incorrect. The students were asked to put the final answer inside boxed in their " +
  "responses. Only this final answer was checked by an automatic evaluator. The following is the problem:";
const CORRECT_HEADER = "This is the correct response from a student:";
const WRONG_HEADER =
  "This is an attempt by another student which was labelled as incorrect by auto-evaluator:";
const instructions = (possible: string): string =>
  "Write a coherent, step-by-step derivation of the solution. Do not skip any step in your response and make " +
  `it as detailed as ${possible}. This should be a standalone solution of the given problem since this solution ` +
  "will be used by the students for studying and learning. Make the solution robust by cautioning about " +
  "potential errors or wrong chain of reasoning. However, do not mention in your response that you were " +
  "provided attempted responses by the students. There should not be a slightest mention or hint that you are " +
  "actually refining from correct or incorrect responses written by students.";
const CONCLUSION =
  "Conclude the entire response with the final answer, enclosed in boxed, at the very end. Make sure your " +
  "enclosed final answer exactly matches the enclosed final answer in the given correct response of the student.";

/** The lines of the user turn, shared by both templates; only the indentation and one spelling differ. */
function userLines(possible: string): string[] {
  return [
    INTRO,
    "---",
    "{{question}}",
    "---",
    "",
    CORRECT_HEADER,
    "---",
    "{{correct_response}}",
    "---",
    "",
    WRONG_HEADER,
    "---",
    "{{wrong_response}}",
    "---",
    "",
    instructions(possible),
    "",
    CONCLUSION,
  ];
}

/**
 * The default: the paper's wording without the reference code's stray indentation (an artefact of an
 * indented Python triple-quoted string) and with "posible" spelled "possible".
 */
export const DEFAULT_TEMPLATE: TeacherTemplate = {
  name: "ssb-default",
  system: MATH_TUTOR_SYSTEM_PROMPT,
  user: userLines("possible").join("\n"),
};

/**
 * Byte-for-byte the reference code's prompt, for replication: every line after the first carries the 12-space
 * indent of the source (blank lines do not; inserted texts are not indented), the user turn ends with a newline
 * plus 12 spaces, the system prompt likewise, and the original spelling is kept.
 */
const INDENT = " ".repeat(12);
export const EXACT_TEMPLATE: TeacherTemplate = {
  name: "ssb-exact",
  system: `${MATH_TUTOR_SYSTEM_PROMPT}\n${INDENT}`,
  user: `${userLines("posible")
    .map((line, i) => (i === 0 || line === "" ? line : `${INDENT}${line}`))
    .join("\n")}\n${INDENT}`,
};

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Placeholders a template uses, in order of first use. */
export function templatePlaceholders(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) seen.add(m[1]!);
  return [...seen];
}

/** Throws (naming `where`) if the template uses unknown placeholders or omits the question. */
export function validateTemplate(template: TeacherTemplate, where = `template "${template.name}"`): void {
  for (const part of ["system", "user"] as const) {
    for (const name of templatePlaceholders(template[part])) {
      if (!(TEMPLATE_FIELDS as readonly string[]).includes(name)) {
        throw new Error(
          `${where}: unknown placeholder {{${name}}} in the ${part} prompt; known: ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(", ")}`,
        );
      }
    }
  }
  if (!templatePlaceholders(template.user).includes("question")) {
    throw new Error(`${where}: the user prompt must contain {{question}}`);
  }
}

/** Fills a template's placeholders in one pass. */
export function fillTemplate(text: string, fields: TeacherPromptFields): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(fields, name) ? fields[name as keyof TeacherPromptFields] : whole,
  );
}

/** The teacher's chat: system prompt + hinted user turn. */
export function renderTeacherMessages(template: TeacherTemplate, fields: TeacherPromptFields): ChatMessage[] {
  return [
    { role: "system", content: fillTemplate(template.system, fields) },
    { role: "user", content: fillTemplate(template.user, fields) },
  ];
}

/** The student's chat: system prompt + the bare question (what the student sees at inference). */
export function renderStudentMessages(
  question: string,
  systemPrompt = MATH_TUTOR_SYSTEM_PROMPT,
): ChatMessage[] {
  return [
    { role: "system", content: systemPrompt },
    { role: "user", content: question },
  ];
}
