import {
  type ChatMessage,
  DEFAULT_TEMPLATE,
  renderStudentMessages,
  renderTeacherMessages,
  type TeacherTemplate,
} from "@ssb/curation";
import { mulberry32 } from "./rng.js";
import type { WordProblem } from "./word-problems.js";

/** One supervised example: a chat prompt and the assistant reply to learn. */
export interface MixExample {
  id: string;
  kind: "student" | "student-mistake" | "teacher";
  messages: ChatMessage[];
  reply: string;
}

export interface TrainingMixOptions {
  seed: number;
  /**
   * Share of student examples whose reply carries the problem's usual mistake. These make the base model wrong
   * in *recurring* ways, so its K samples disagree with a common wrong answer — the majority-wrong SSB needs.
   * Default 0.3.
   */
  mistakeShare?: number;
  /**
   * Share of problems that also appear in the teacher format (problem + a correct and a wrong attempt → a
   * correct solution), so the teacher role is in distribution, as it is for an instruct model. Default 0.3.
   */
  teacherShare?: number;
  /** The teacher prompt; default: @ssb/curation's paper template, the one the pipeline will use. */
  template?: TeacherTemplate;
  /** The student's system prompt; default: @ssb/curation's math-tutor prompt. */
  systemPrompt?: string;
}

/**
 * The pre-training mix of the embedded default: every problem once in the student format (question →
 * solution, a share of them with the problem's usual mistake), and a share of problems in the teacher format.
 * Seeded: the same problems and seed give the same mix.
 */
export function buildTrainingMix(
  problems: readonly WordProblem[],
  options: TrainingMixOptions,
): MixExample[] {
  const rng = mulberry32(options.seed);
  const mistakeShare = options.mistakeShare ?? 0.3;
  const teacherShare = options.teacherShare ?? 0.3;
  const template = options.template ?? DEFAULT_TEMPLATE;
  const out: MixExample[] = [];
  for (const p of problems) {
    const usual = p.mistakes[0];
    const student = renderStudentMessages(p.question, options.systemPrompt);
    if (usual && rng() < mistakeShare) {
      out.push({
        id: `${p.id}/student-mistake`,
        kind: "student-mistake",
        messages: student,
        reply: usual.solution,
      });
    } else {
      out.push({ id: `${p.id}/student`, kind: "student", messages: student, reply: p.solution });
    }
    if (usual && rng() < teacherShare) {
      const messages = renderTeacherMessages(template, {
        question: p.question,
        correct_response: p.solution,
        wrong_response: usual.solution,
        correct_answer: p.answer,
        wrong_answer: usual.answer,
      });
      out.push({ id: `${p.id}/teacher`, kind: "teacher", messages, reply: p.solution });
    }
  }
  return out;
}
