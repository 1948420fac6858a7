/**
 * The one thing curation needs from a generation engine. @ssb/rollout implements it over ONNX Runtime; tests
 * implement it with scripted replies; a file of precomputed replies implements it too (replies-file-generator).
 */
import type { ChatMessage, FinishReason } from "./records.js";

export interface TeacherSampling {
  temperature: number;
  topK: number;
  topP?: number;
  maxNewTokens?: number;
  /** Per-request sampler seed, derived from (run seed, problem id, attempt) so retries and resumes repeat. */
  seed?: number;
}

export interface GenerationRequest {
  /** Unique within a call; results are matched back by it. Curation uses `${problemId}#${attempt}`. */
  id: string;
  messages: ChatMessage[];
  sampling: TeacherSampling;
}

export interface GenerationOptions {
  /** Capture per-token top-k logits into the logit store, keyed by the result's `logitKey`. */
  captureLogits: boolean;
}

export interface GenerationResult {
  id: string;
  text: string;
  /** The sampled ids of the reply, including the end-of-turn token when the reply stopped on it. */
  tokenIds: number[];
  finishReason: FinishReason;
  /** Where the captured logits for these tokens live (the logit store's example id). */
  logitKey?: string;
}

/** Generates one reply per request; results may arrive in any order but exactly one per request id. */
export interface TeacherGenerator {
  /**
   * What writes the replies, as a string that changes when they would (a model's files fingerprint, plus any
   * sampling the engine adds). Curation pins it in run.json from the first teacher-mode run: a resume with
   * another teacher is refused instead of mixing two models' pairs (and their logits) in one file. Without it,
   * the teacher is not checked.
   */
  readonly identity?: string;
  generate(requests: GenerationRequest[], options: GenerationOptions): AsyncIterable<GenerationResult>;
  /**
   * Makes the logits captured for every result yielded so far durable. Curation awaits it before writing a
   * batch's pairs, so a pair on disk always has its logits on disk (a crash loses both or neither).
   */
  commit?(): Promise<void>;
}
