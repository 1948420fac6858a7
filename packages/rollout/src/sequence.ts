/**
 * One sequence being generated: its prompt, random stream, sampled ids, and (when capturing) the top-k
 * logits of every step. `consumeLogits` turns one raw logits row into the next token, recording the capture
 * from the raw row first (temperature 1, before any processing), then applying the sampler.
 */
import { logSumExp, type RowTop, topK } from "./logit-math.js";
import { type StreamKey, uniformAt } from "./prng.js";
import { applyRepetitionPenalty, sampleFromRow, sampleFromTop, servedByTop } from "./sampler.js";
import type { SamplingParams } from "./sampling-params.js";

export type FinishReason = "stop" | "length";

export interface CaptureBuffer {
  key: string;
  k: number;
  topkIds: number[];
  topkLogits: number[];
  logSumExp: number[];
}

export interface SequenceState {
  promptId: string;
  sampleIndex: number;
  promptIds: readonly number[];
  params: SamplingParams;
  stream: StreamKey;
  tokens: number[];
  /** Prompt + reply ids, for the repetition penalty (only kept when it is on). */
  seen: Set<number> | null;
  /** Real positions in the KV cache (the last sampled token is not in it yet). */
  kvLength: number;
  capture: CaptureBuffer | null;
  finish: FinishReason | null;
  /** Index in `tokens`' decoded text where a stop string begins, when one ended the sequence. */
  stopStringHit: string | null;
  startedMs: number;
  firstTokenMs: number;
}

export interface StopChecker {
  /** True when the reply's tail now contains one of the stop strings; returns the string. */
  (tokens: readonly number[], stopStrings: readonly string[]): string | null;
}

/** Record one step's capture: the top `cap.k` of the raw row and its full-vocabulary log-sum-exp. */
function recordCapture(cap: CaptureBuffer, top: RowTop, k: number, lse: number): void {
  for (let j = 0; j < k; j++) {
    cap.topkIds.push(top.ids[j] as number);
    cap.topkLogits.push(top.values[j] as number);
  }
  cap.logSumExp.push(lse);
}

/**
 * Consume one raw logits row (may be modified in place). Returns the sampled id. `known`: the raw row's
 * largest entries (highest first, ties by lower id) when computed for the whole batch at once; used for
 * the capture and the sampler where long enough, else the row is scanned here. `lse`: the row's
 * log-sum-exp when the model's pass computed it (else it is computed here).
 */
export function consumeLogits(
  seq: SequenceState,
  row: Float32Array,
  maxContext: number,
  stopCheck: StopChecker | null,
  known?: RowTop,
  lse?: number,
): number {
  const cap = seq.capture;
  if (cap) {
    const k = Math.min(cap.k, row.length);
    const top = known && known.ids.length >= k ? known : topK(row, k);
    recordCapture(cap, top, k, lse ?? logSumExp(row));
  }
  const p = seq.params;
  const penalised = seq.seen !== null && p.repetitionPenalty !== 1;
  if (penalised) applyRepetitionPenalty(row, seq.seen as Set<number>, p.repetitionPenalty);
  const u = uniformAt(seq.stream, seq.tokens.length);
  // The penalty changes the row, so a top list of the raw row no longer applies to it.
  return appendToken(seq, sampleFromRow(row, p, u, penalised ? undefined : known), maxContext, stopCheck);
}

/**
 * True when this sequence's next token can come from its row's top list alone (no repetition penalty,
 * greedy or a small top-k; see servedByTop) and so can its capture, if any (`graphLogSumExp`: the pass
 * computes the row's log-sum-exp), so the step need not fetch its logits row.
 */
export function topListSuffices(seq: SequenceState, vocab: number, graphLogSumExp = false): boolean {
  return (
    (seq.capture === null || graphLogSumExp) &&
    seq.params.repetitionPenalty === 1 &&
    servedByTop(seq.params, vocab)
  );
}

/**
 * Consume one step from the row's top list alone (a sequence for which topListSuffices holds, and a list
 * for which topNeedsRow is false). Same token as consumeLogits on the row; a capture takes its entries from
 * the list (which holds at least `capture.k`) and `lse`, the row's log-sum-exp from the model's pass.
 */
export function consumeTop(
  seq: SequenceState,
  top: RowTop,
  vocab: number,
  maxContext: number,
  stopCheck: StopChecker | null,
  lse?: number,
): number {
  const cap = seq.capture;
  if (cap) {
    const k = Math.min(cap.k, vocab);
    if (lse === undefined || top.ids.length < k)
      throw new Error("consumeTop: a capture needs the row's log-sum-exp and a list of its top k");
    recordCapture(cap, top, k, lse);
  }
  const u = uniformAt(seq.stream, seq.tokens.length);
  return appendToken(seq, sampleFromTop(top, vocab, seq.params, u), maxContext, stopCheck);
}

/** Record a sampled token and decide whether the sequence has finished. */
function appendToken(
  seq: SequenceState,
  token: number,
  maxContext: number,
  stopCheck: StopChecker | null,
): number {
  const p = seq.params;
  seq.tokens.push(token);
  seq.seen?.add(token);
  if (p.stopTokenIds.includes(token)) seq.finish = "stop";
  else if (stopCheck && p.stopStrings.length > 0) {
    const hit = stopCheck(seq.tokens, p.stopStrings);
    if (hit !== null) {
      seq.finish = "stop";
      seq.stopStringHit = hit;
    }
  }
  if (!seq.finish && (seq.tokens.length >= p.maxNewTokens || seq.kvLength + 1 >= maxContext))
    seq.finish = "length";
  return token;
}
