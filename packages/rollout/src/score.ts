/**
 * Teacher-forced scoring: prompt + a fixed continuation (ids another model wrote) in one forward pass,
 * with the same capture as generation at every continuation position: top-k raw logits, the full-vocab
 * log-sum-exp, and the log-probability of each continuation token.
 */
import type { LogitStoreWriter } from "@ssb/logit-store";
import type { ChatMessage, ChatTemplateKwargs } from "@ssb/model";
import { RolloutError } from "./errors.js";
import type { Generator, PaddedLogitsSink } from "./generator.js";
import { logSumExp, topK } from "./logit-math.js";

export interface ScoreRequest {
  /** Example id (the logit store key when a writer is given). */
  id: string;
  messages?: ChatMessage[];
  promptIds?: number[];
  /**
   * The time the chat template's `strftime_now` reports when `messages` are rendered (default: now); a job
   * scoring replies sampled under a pinned day (templateDate) passes that day (see PromptInput.now).
   */
  now?: Date;
  /**
   * Extra chat template variables when `messages` are rendered (default: ScoreOptions.chatTemplateKwargs);
   * scoring replies sampled with Qwen3's `{"enable_thinking": false}` passes the same (see PromptInput).
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
  /** The continuation to score, e.g. a reply including its end-of-turn token. */
  continuation: number[];
}

export interface ScoredSequence {
  id: string;
  tokenIds: number[];
  k: number;
  /** n × k ids and raw (T = 1) logits, descending per row. */
  topkIds: Int32Array;
  topkLogits: Float32Array;
  /** Full-vocabulary log-sum-exp per position. */
  logSumExp: Float64Array;
  /** log p(continuation[i] | prompt, continuation[..i]). */
  tokenLogprobs: Float64Array;
}

export interface ScoreOptions {
  /** Entries per position (default: the writer's k, else 20). */
  k?: number;
  /** Sequences per forward pass (default 8). */
  maxBatch?: number;
  /** Also write each result to this store. */
  writer?: LogitStoreWriter;
  /** Cap on rows × chunk × vocab logits floats per pass (default 2^25). */
  logitBudget?: number;
  /** Chat template kwargs for every request rendered from `messages` that has none of its own. */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

export async function scoreContinuations(
  generator: Generator,
  requests: readonly ScoreRequest[],
  options: ScoreOptions = {},
): Promise<ScoredSequence[]> {
  const k = options.k ?? options.writer?.meta.k ?? 20;
  const vocab = generator.vocabSize;
  if (!(Number.isInteger(k) && k >= 1 && (vocab === 0 || k <= vocab)))
    throw new RolloutError(
      `score: k must be an integer in [1, ${vocab || "vocab"}], found ${JSON.stringify(k)}`,
    );
  // Checked before the first pass: a store refuses a key it holds only when the example is written, after
  // the batches before it were written and scored for nothing; a rerun after a crash would stop part way.
  const seen = new Set<string>();
  for (const r of options.writer ? requests : []) {
    if (seen.has(r.id)) throw new RolloutError(`score: request id "${r.id}" appears twice (the store's key)`);
    seen.add(r.id);
    if (options.writer?.has(r.id))
      throw new RolloutError(
        `score: "${r.id}" is already in the logit store ${options.writer.dir}; pass only the requests it lacks (writer.has(id)) to resume`,
      );
  }
  const maxBatch = options.maxBatch ?? 8;
  const kwargsOf = (r: ScoreRequest): { chatTemplateKwargs?: ChatTemplateKwargs } => {
    const kwargs = r.chatTemplateKwargs ?? options.chatTemplateKwargs;
    return kwargs !== undefined ? { chatTemplateKwargs: kwargs } : {};
  };
  const results: ScoredSequence[] = [];
  for (let b = 0; b < requests.length; b += maxBatch) {
    const batch = requests.slice(b, b + maxBatch);
    const prompts = batch.map((r) => {
      if (r.continuation.length === 0) throw new RolloutError(`score "${r.id}": empty continuation`);
      const ids =
        r.promptIds ??
        generator.encodePrompt({
          id: r.id,
          ...(r.messages ? { messages: r.messages } : {}),
          ...(r.now !== undefined ? { now: r.now } : {}),
          ...kwargsOf(r),
        });
      // The first continuation token is predicted from the prompt's last position.
      if (ids.length === 0) throw new RolloutError(`score "${r.id}": empty prompt`);
      return ids;
    });
    const full = batch.map((r, i) => {
      const ids = [...(prompts[i] as number[]), ...r.continuation];
      generator.checkTokenIds(`score "${r.id}" (prompt and continuation)`, ids);
      return ids;
    });
    const padded = full.reduce((m, s) => Math.max(m, s.length), 0);
    const scored = batch.map(
      (r): ScoredSequence => ({
        id: r.id,
        tokenIds: r.continuation,
        k,
        topkIds: new Int32Array(r.continuation.length * k),
        topkLogits: new Float32Array(r.continuation.length * k),
        logSumExp: new Float64Array(r.continuation.length),
        tokenLogprobs: new Float64Array(r.continuation.length),
      }),
    );
    const sink: PaddedLogitsSink = (logits, vocab, start, seq, _padded, firstRow, rowCount) => {
      for (let j = 0; j < rowCount; j++) {
        const i = firstRow + j;
        const r = batch[i] as ScoreRequest;
        const pad = padded - (full[i] as number[]).length;
        const promptLen = (prompts[i] as number[]).length;
        for (let c = 0; c < seq; c++) {
          // Padded column start + c is real position p; it predicts token p + 1, which is continuation
          // index p + 1 - promptLen.
          const p = start + c - pad;
          const t = p + 1 - promptLen;
          if (p < 0 || t < 0 || t >= r.continuation.length) continue;
          const row = logits.subarray((j * seq + c) * vocab, (j * seq + c + 1) * vocab);
          const top = topK(row, k);
          const s = scored[i] as ScoredSequence;
          s.topkIds.set(top.ids, t * k);
          s.topkLogits.set(top.values, t * k);
          const lse = logSumExp(row);
          s.logSumExp[t] = lse;
          s.tokenLogprobs[t] = (row[r.continuation[t] as number] as number) - lse;
        }
      }
    };
    await generator.forwardPadded(full, options.logitBudget ?? 2 ** 25, sink, undefined, false);
    for (const s of scored) {
      options.writer?.writeExample(s.id, {
        tokenIds: s.tokenIds,
        topkIds: s.topkIds,
        topkLogits: s.topkLogits,
        logSumExp: s.logSumExp,
      });
      results.push(s);
    }
  }
  return results;
}
