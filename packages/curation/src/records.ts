/**
 * The data curation reads and writes, as in the project's DESIGN.md contracts (Problem, Rollout, Graded rollout).
 * Field names are camelCase because the producing packages (@ssb/rollout, @ssb/eval) are TypeScript too.
 */

/** One chat turn. `role` is open-ended because chat templates accept roles beyond the usual three. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** A math problem with its gold answer as text. */
export interface Problem {
  id: string;
  question: string;
  answer: string;
  source?: string;
  subject?: string;
  level?: string | number;
}

/** Why a generation stopped: `length` means it hit the token limit, i.e. the text is truncated. */
export type FinishReason = "stop" | "length";

/** One sampled answer of the student (base model) to a problem. Only the first three fields are required. */
export interface Rollout {
  problemId: string;
  sampleIndex: number;
  text: string;
  finishReason?: FinishReason;
  tokenIds?: number[];
  prompt?: ChatMessage[];
  sampling?: Record<string, unknown>;
  seed?: number;
  modelId?: string;
}

/** Three-way outcome: a truncated or unboxed reply is `no-answer`, never `wrong`. */
export type Verdict = "correct" | "wrong" | "no-answer";

/** A rollout after grading against its problem's gold answer. */
export interface GradedRollout extends Rollout {
  verdict: Verdict;
  correct: boolean;
  /** The final answer the grader pulled out of the text, or null when there was none. */
  extracted: string | null;
  /** Why: e.g. "equivalent to gold", "no final answer found", "truncated (finishReason=length)". */
  reason: string;
}
