/**
 * One problem through selection, as a pure function: grade its rollouts, choose the pair, build the teacher
 * prompt. The file-level runner (run-curation.ts) and library users share it.
 */

import { gradeRollouts } from "./grade-rollouts.js";
import type { AnswerEquivalence, Grader } from "./grader.js";
import { checkBoolean, checkInteger, checkOptionsObject } from "./option-checks.js";
import type { TeacherPromptRecord } from "./pair-record.js";
import { describe } from "./parse-records.js";
import type { ChatMessage, Problem, Rollout } from "./records.js";
import { checkRolloutPrompts } from "./rollout-prompt-check.js";
import {
  checkSelectionOptions,
  type DroppedProblem,
  type SelectedPair,
  type SelectionOptions,
  selectPair,
} from "./select-pair.js";
import type { TeacherSampling } from "./teacher-generator.js";
import {
  DEFAULT_TEMPLATE,
  MATH_TUTOR_SYSTEM_PROMPT,
  renderStudentMessages,
  renderTeacherMessages,
  type TeacherTemplate,
  validateTemplate,
} from "./teacher-prompt.js";
import { requestId, resolveTeacherSampling, teacherSamplingFor } from "./teacher-step.js";

export interface SelectionConfig extends Omit<SelectionOptions, "equivalence" | "seed"> {
  grader: Grader;
  equivalence: AnswerEquivalence;
  seed?: number;
  /** Truncated rollouts count as no-answer (default true). */
  truncatedIsNoAnswer?: boolean;
  template?: TeacherTemplate;
  /**
   * System prompt of the student view (default: the paper's math-tutor prompt); null for none (rollouts sampled
   * with `ssb-rollout --no-system`). Rollouts that record their prompt must have been sampled from these messages.
   */
  studentSystemPrompt?: string | null;
  /** Teacher sampling written into the prompt records (default temperature 0.4, top-k 50). */
  teacherSampling?: Partial<TeacherSampling>;
  /** Teacher tries per problem, for the request list in the prompt record (default 1). */
  maxAttempts?: number;
}

export type CuratedProblem =
  | { selection: SelectedPair; prompt: TeacherPromptRecord }
  | { selection: DroppedProblem };

/**
 * Refuses bad selection settings before anything runs, naming the option: misspelt policies, a maxAttempts
 * that is not a positive integer (0 would ask the teacher nothing, 2.5 would silently become 2), thresholds
 * that are not integers, and bad teacher sampling. `where` names the calling function in the message.
 */
export function checkSelectionConfig(config: Partial<SelectionConfig>, where: string): void {
  checkOptionsObject(config, where, "the config");
  checkSelectionOptions(config, where);
  checkBoolean(config.truncatedIsNoAnswer, where, "truncatedIsNoAnswer");
  checkInteger(config.maxAttempts, 1, where, "maxAttempts");
  const system: unknown = config.studentSystemPrompt;
  if (system !== undefined && system !== null && typeof system !== "string")
    throw new TypeError(
      `${where}: option "studentSystemPrompt" must be a string, or null for none, found ${describe(system)}`,
    );
  resolveTeacherSampling(config.teacherSampling ?? {}, where, "teacherSampling");
  checkTemplateOption(config.template, where);
}

/**
 * A `template` option is a TeacherTemplate object: the CLI's `"exact"` given in code failed while rendering the
 * first kept problem ("Cannot read properties of undefined"), after the output folder was made.
 */
function checkTemplateOption(template: unknown, where: string): void {
  if (template === undefined) return;
  const field = `${where}: option "template"`;
  if (typeof template === "string")
    throw new TypeError(
      `${field} must be a TeacherTemplate { name, system, user }, found ${describe(template)}; resolveTemplate(${JSON.stringify(template)}) gives one for "default", "exact" or a template file`,
    );
  if (typeof template !== "object" || template === null || Array.isArray(template))
    throw new TypeError(
      `${field} must be a TeacherTemplate { name, system, user }, found ${describe(template)}`,
    );
  const t = template as Record<string, unknown>;
  for (const key of ["name", "system", "user"] as const) {
    if (typeof t[key] !== "string")
      throw new TypeError(`${field}: field "${key}" must be a string, found ${describe(t[key])}`);
  }
  validateTemplate(template as TeacherTemplate, field);
}

/**
 * The rollouts must all be this problem's, each with its own sampleIndex: another problem's rollout would be
 * graded against this problem's gold, and a missing or repeated index makes the sampleIndex order (and so
 * the choice) ambiguous.
 */
function checkRollouts(problem: Problem, rollouts: readonly Rollout[]): void {
  const at = `curateProblem: problem ${JSON.stringify(problem.id)}`;
  if (!Array.isArray(rollouts))
    throw new TypeError(`${at}: rollouts must be an array, found ${describe(rollouts)}`);
  const seen = new Set<number>();
  rollouts.forEach((r, i) => {
    const index = (r as { sampleIndex?: unknown } | null)?.sampleIndex;
    if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) {
      throw new Error(
        `${at}: rollout ${i} (0-based, in the order given) needs a sampleIndex that is an integer >= 0, found ${describe(index)}`,
      );
    }
    if (r.problemId !== problem.id) {
      throw new Error(
        `${at}: the rollout with sampleIndex ${index} belongs to problem ${JSON.stringify(r.problemId)}; pass only this problem's rollouts`,
      );
    }
    if (seen.has(index)) throw new Error(`${at}: sampleIndex ${index} is given by two rollouts`);
    seen.add(index);
  });
}

/**
 * A gold given as a finite number (a dataset parsed as JSON: `"answer": 72`) is read as its string, as
 * readProblemsFile and runCuration read it; anything else but a string is refused naming the problem and
 * the field (it failed as "gradeRollouts: gold must be a string", naming neither).
 */
function problemWithTextGold(problem: Problem): Problem {
  if (typeof problem !== "object" || problem === null || Array.isArray(problem))
    throw new TypeError(
      `curateProblem: problem must be a problem record { id, question, answer }, found ${describe(problem)}`,
    );
  const answer: unknown = problem.answer;
  if (typeof answer === "string") return problem;
  if (typeof answer === "number" && Number.isFinite(answer)) return { ...problem, answer: String(answer) };
  throw new TypeError(
    `curateProblem: problem ${JSON.stringify(problem.id)}: field "answer" must be the gold answer as a string (or a finite number), found ${describe(answer)}`,
  );
}

/** The student's view of a problem: its system prompt (unless null) and the bare question. */
export function studentMessagesFor(
  problem: Problem,
  config: Pick<SelectionConfig, "studentSystemPrompt">,
): ChatMessage[] {
  const system = config.studentSystemPrompt;
  if (system === null) return [{ role: "user", content: problem.question }];
  return renderStudentMessages(problem.question, system ?? MATH_TUTOR_SYSTEM_PROMPT);
}

export function curateProblem(
  problem: Problem,
  rollouts: readonly Rollout[],
  config: SelectionConfig,
): CuratedProblem {
  checkSelectionConfig(config, "curateProblem");
  problem = problemWithTextGold(problem);
  checkRollouts(problem, rollouts);
  const studentMessages = studentMessagesFor(problem, config);
  checkRolloutPrompts(problem, rollouts, studentMessages, "curateProblem");
  const seed = config.seed ?? 0;
  const graded = gradeRollouts(rollouts, problem.answer, config.grader, {
    truncatedIsNoAnswer: config.truncatedIsNoAnswer ?? true,
  });
  const selection = selectPair(problem.id, graded, { ...config, seed });
  if (selection.kind === "dropped") return { selection };
  const template = config.template ?? DEFAULT_TEMPLATE;
  const messages = renderTeacherMessages(template, {
    question: problem.question,
    correct_response: selection.correct.text,
    wrong_response: selection.wrong.text,
    correct_answer: selection.correct.extracted ?? "",
    wrong_answer: selection.wrong.extracted ?? "",
  });
  const maxAttempts = config.maxAttempts ?? 1;
  const requests = Array.from({ length: maxAttempts }, (_, i) => ({
    id: requestId(problem.id, i + 1),
    sampling: teacherSamplingFor(seed, problem.id, i + 1, config.teacherSampling),
  }));
  const prompt: TeacherPromptRecord = {
    problemId: problem.id,
    gold: problem.answer,
    template: template.name,
    messages,
    studentMessages,
    requests,
    chosenCorrect: selection.chosenCorrect,
    chosenWrong: selection.chosenWrong,
    rolloutCounts: selection.counts,
  };
  return { selection, prompt };
}
