/**
 * The records curation writes. One JSON object per line; every record carries `problemId`, the resume key.
 */
import type { ChatMessage, FinishReason } from "./records.js";
import type { ChosenCorrect, ChosenWrong, RolloutCounts, SelectionDropReason } from "./select-pair.js";
import type { TeacherSampling } from "./teacher-generator.js";
import type { TeacherAttempt, TeacherRejectReason } from "./teacher-step.js";

/** One SSB training example (pairs.jsonl). */
export interface PairRecord {
  problemId: string;
  /** Gold answer as given in the problems file. */
  gold: string;
  /** Name of the teacher template used. */
  template: string;
  /** System prompt + bare question: what the student sees. */
  studentMessages: ChatMessage[];
  /** System prompt + hinted prompt: what the teacher saw when it generated `response`. */
  teacherMessages: ChatMessage[];
  /** The teacher's reply text. */
  response: string;
  /** The teacher's own sampled token ids, including the end-of-turn token. */
  responseTokenIds: number[];
  finishReason: FinishReason;
  /** The final answer extracted from `response`. */
  teacherAnswer: string | null;
  /** Always true in pairs.jsonl (rejected replies go to dropped.jsonl); kept explicit for downstream filters. */
  teacherAnswerCorrect: boolean;
  /** Which try produced the reply (1-based) and with what sampling (incl. the derived seed). */
  teacherAttempt: number;
  teacherSampling: TeacherSampling;
  chosenCorrect: ChosenCorrect;
  chosenWrong: ChosenWrong;
  rolloutCounts: RolloutCounts;
  /** Key of this reply's rows in the logit store, or null when the generator captured none. */
  logitKey: string | null;
}

/** A problem that produced no pair, and why (dropped.jsonl). */
export interface DropRecord {
  problemId: string;
  stage: "selection" | "teacher";
  reason: SelectionDropReason | TeacherRejectReason;
  detail: string;
  rolloutCounts: RolloutCounts;
  /** Present for teacher-stage drops: what was shown and what each try gave. */
  chosenWrong?: ChosenWrong;
  attempts?: TeacherAttempt[];
  /** Fingerprint of the problem's question, gold answer and rollouts: a resumed run refuses changed inputs. */
  inputHash?: string;
}

/** A teacher request for a selected problem (teacher-prompts.jsonl): the input to an external generator. */
export interface TeacherPromptRecord {
  problemId: string;
  gold: string;
  template: string;
  /** The teacher chat to generate from. */
  messages: ChatMessage[];
  studentMessages: ChatMessage[];
  /** One request per allowed attempt: the id a reply must carry and its sampling (with derived seed). */
  requests: { id: string; sampling: TeacherSampling }[];
  chosenCorrect: ChosenCorrect;
  chosenWrong: ChosenWrong;
  rolloutCounts: RolloutCounts;
  /** Fingerprint of the problem's question, gold answer and rollouts (see DropRecord.inputHash). */
  inputHash?: string;
}
