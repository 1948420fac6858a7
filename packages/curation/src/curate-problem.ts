/**
 * One problem through selection, as a pure function: grade its rollouts, choose the pair, build the teacher
 * prompt. The file-level runner (run-curation.ts) and library users share it.
 */

import { gradeRollouts } from "./grade-rollouts.js";
import type { AnswerEquivalence, Grader } from "./grader.js";
import type { TeacherPromptRecord } from "./pair-record.js";
import type { Problem, Rollout } from "./records.js";
import { type DroppedProblem, type SelectedPair, type SelectionOptions, selectPair } from "./select-pair.js";
import type { TeacherSampling } from "./teacher-generator.js";
import {
  DEFAULT_TEMPLATE,
  MATH_TUTOR_SYSTEM_PROMPT,
  renderStudentMessages,
  renderTeacherMessages,
  type TeacherTemplate,
} from "./teacher-prompt.js";
import { requestId, teacherSamplingFor } from "./teacher-step.js";

export interface SelectionConfig extends Omit<SelectionOptions, "equivalence" | "seed"> {
  grader: Grader;
  equivalence: AnswerEquivalence;
  seed?: number;
  /** Truncated rollouts count as no-answer (default true). */
  truncatedIsNoAnswer?: boolean;
  template?: TeacherTemplate;
  /** System prompt of the student view (default: the paper's math-tutor prompt). */
  studentSystemPrompt?: string;
  /** Teacher sampling written into the prompt records (default temperature 0.4, top-k 50). */
  teacherSampling?: Partial<TeacherSampling>;
  /** Teacher tries per problem, for the request list in the prompt record (default 1). */
  maxAttempts?: number;
}

export type CuratedProblem =
  | { selection: SelectedPair; prompt: TeacherPromptRecord }
  | { selection: DroppedProblem };

export function curateProblem(
  problem: Problem,
  rollouts: readonly Rollout[],
  config: SelectionConfig,
): CuratedProblem {
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
    studentMessages: renderStudentMessages(
      problem.question,
      config.studentSystemPrompt ?? MATH_TUTOR_SYSTEM_PROMPT,
    ),
    requests,
    chosenCorrect: selection.chosenCorrect,
    chosenWrong: selection.chosenWrong,
    rolloutCounts: selection.counts,
  };
  return { selection, prompt };
}
