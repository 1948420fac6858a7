/**
 * The data eval reads and writes. Field names follow the project's DESIGN.md contracts (Problem, Rollout,
 * Eval result), camelCase because every producer and consumer is TypeScript.
 */

/** One chat turn; `role` is open-ended because chat templates accept roles beyond the usual three. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** A benchmark problem with its gold final answer (already extracted: `18`, not GSM8K's whole solution). */
export interface Problem {
  /** Unique within its benchmark. */
  id: string;
  question: string;
  /** The gold final answer as text, as the verifier compares it. */
  answer: string;
  subject?: string;
  level?: number | string;
}

/** Why a generation stopped: `length` means it hit the token budget, i.e. the text is truncated. */
export type FinishReason = "stop" | "length";

/** How each sample is drawn. `temperature: 0` means greedy decoding (then topK / topP do not matter). */
export interface SamplingParams {
  temperature: number;
  topK?: number;
  topP?: number;
  /** Drop tokens below minP × the top token's probability. */
  minP?: number;
  /** transformers' repetition penalty (1 = off). */
  repetitionPenalty?: number;
  maxNewTokens: number;
}

/** One graded sample: a line of `records.jsonl`. */
export interface SampleRecord {
  benchmark: string;
  problemId: string;
  sampleIndex: number;
  /** Gold answer, subject and level are copied in so a records file can be summarised and compared alone. */
  gold: string;
  subject?: string;
  level?: number | string;
  text: string;
  /** The final answer the verifier found, or null. */
  extracted: string | null;
  correct: boolean;
  verdict: "correct" | "wrong" | "no-answer";
  /** The verifier's reason: `equivalent`, `not-equivalent`, `no-answer`, `hedged`, ... */
  reason: string;
  /** Number of generated tokens (the reply only, including an end-of-turn token when it stopped on one). */
  tokens: number;
  finishReason: FinishReason;
}
