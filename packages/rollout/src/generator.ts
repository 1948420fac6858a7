/**
 * Batched generation over a DecoderSession with continuous batching:
 *
 *  - prompts wait in a queue; when slots are free, the next prompts are prefilled together (left padded,
 *    in chunks so the [rows, chunk, vocab] logits stay bounded) and each prompt's KV row is then copied
 *    once per sample, so a prompt is computed once whatever n is;
 *  - every decode step feeds one token per active row; rows that finish are yielded and their slots are
 *    refilled from the queue once enough slots are free (by default half the batch; see `refill`);
 *  - every (prompt, sample) draws from its own counter-based random stream, so results do not depend on
 *    batch size, arrival order or resumption.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { LogitStoreWriter } from "@ssb/logit-store";
import {
  type ChatMessage,
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  type GenerationConfig,
  loadGenerationConfig,
  loadModelConfig,
  loadTokenizer,
  type ModelConfig,
  type ModelTokenizer,
  templateReadsDate,
} from "@ssb/model";
import { checkPromptMessages } from "./chat-roles.js";
import {
  type DecoderOptions,
  DecoderSession,
  type ForwardInput,
  type ForwardOutput,
} from "./decoder-session.js";
import { RolloutError } from "./errors.js";
import type { SessionKv, SessionKvSource } from "./kv-device.js";
import { type RowTop, topKScanCost } from "./logit-math.js";
import { modelFolder } from "./model-files.js";
import { streamKey } from "./prng.js";
import { SMALL_TOP_K, topNeedsRow } from "./sampler.js";
import { DEFAULT_SAMPLING, dropUndefined, resolveSampling, type SamplingParams } from "./sampling-params.js";
import {
  consumeLogits,
  consumeTop,
  type FinishReason,
  type SequenceState,
  type StopChecker,
  topListSuffices,
} from "./sequence.js";
import { stopStringChecker } from "./stop-strings.js";
import { type BatchTop, rowTop, TopKSelector } from "./top-k-selector.js";
import { refuseUnknownKeys } from "./unknown-keys.js";

export interface PromptInput {
  /** Problem / request id: keys the random streams, the output records and the captured logits. */
  id: string;
  /** Chat messages, rendered with the model's chat template (generation prompt appended). */
  messages?: ChatMessage[];
  /**
   * The time the chat template's `strftime_now` reports when `messages` are rendered (default: now). Llama
   * 3.1 / 3.2-Instruct write the day into their system turn, so a job pins one (its `templateDate`, through
   * @ssb/model's parseTemplateDate) to render the same prompts on every day it runs. No effect on token ids or
   * on templates that do not read the clock (`templateReadsDate`).
   */
  now?: Date;
  /**
   * Extra variables for the chat template when `messages` are rendered (transformers'
   * `apply_chat_template(..., **kwargs)`, vLLM's `chat_template_kwargs`), e.g. Qwen3's
   * `{"enable_thinking": false}`. Default: GenerateOptions.chatTemplateKwargs, else none. No effect on token ids.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
  /** Or the prompt's token ids, used as they are. */
  tokenIds?: number[];
  /** Samples 0..n-1 (default: GenerateOptions.n, else 1). */
  n?: number;
  /** Or exactly these sample indices (a resumed job passes the ones still missing). */
  sampleIndices?: number[];
  /** Overrides of the call's sampling settings for this prompt. */
  sampling?: Partial<SamplingParams>;
}

export interface LogitCaptureOptions {
  writer: LogitStoreWriter;
  /** Example id in the store for a (prompt, sample); default `${promptId}#${sampleIndex}`. */
  key?: (promptId: string, sampleIndex: number) => string;
}

export interface GenerateProgress {
  finishedSequences: number;
  totalSequences: number;
  generatedTokens: number;
  activeRows: number;
  elapsedMs: number;
}

/** When waiting prompts fill freed batch slots (see {@link GenerateOptions.refill}). */
export type RefillPolicy = "eager" | "half" | "waves" | number;

export interface GenerateOptions {
  /** Default samples per prompt (default 1). */
  n?: number;
  /** Sampling settings for every prompt; stop ids default to the model's end-of-turn / eos ids. */
  sampling?: Partial<SamplingParams>;
  /** Most sequences decoded together (default 32). */
  maxBatch?: number;
  /**
   * When freed slots are refilled from the queue: a number N = once at least N slots are free (or the batch
   * is empty); "eager" = 1; "half" (default) = half of maxBatch; "waves" = only when the whole batch has
   * drained. Finished rows always leave the batch at once. A refilled row is padded to the longest row's KV
   * length, and every step attends over rows × that length, so refilling one slot at a time costs more than
   * it gains; measured on CPU (README), half the batch came within a few percent of waves on replies of
   * similar lengths and beat it by 8–15% on a long tail.
   */
  refill?: RefillPolicy;
  /**
   * Cap on the floats a prefill pass holds (default 2^25 = 128 MiB): rows × chunk × vocab logits, or where
   * the model computes the last position's logits only, rows × chunk × the widest activation.
   */
  prefillLogitBudget?: number;
  /** Capture top-k logits of every generated token into a logit store. */
  capture?: LogitCaptureOptions;
  /** Chat template kwargs for every prompt rendered from `messages` that has none of its own (PromptInput). */
  chatTemplateKwargs?: ChatTemplateKwargs;
  onProgress?: (p: GenerateProgress) => void;
  signal?: AbortSignal;
}

/** Every key of GenerateOptions (checked against the interface by the `satisfies` below). */
const GENERATE_OPTION_KEYS = Object.keys({
  n: true,
  sampling: true,
  maxBatch: true,
  refill: true,
  prefillLogitBudget: true,
  capture: true,
  chatTemplateKwargs: true,
  onProgress: true,
  signal: true,
} satisfies Record<keyof GenerateOptions, true>);

export interface SequenceTiming {
  /** Milliseconds since the generate() call: admitted, first token, finished. */
  startedMs: number;
  firstTokenMs: number;
  finishedMs: number;
}

export interface FinishedSequence {
  promptId: string;
  sampleIndex: number;
  /** The reply text: special tokens and a final stop token dropped, cut before a matched stop string. */
  text: string;
  /** Every sampled id, including the stop (end-of-turn) token. */
  tokenIds: number[];
  finishReason: FinishReason;
  /** The stop string that ended the reply, if one did. */
  stopString?: string;
  promptTokens: number;
  seed: number;
  /** Logit store example id, when logits were captured. */
  logitKey?: string;
  timing: SequenceTiming;
}

export interface GeneratorOptions extends DecoderOptions {
  /** Load tokenizer.json from the model folder (default true when present). */
  tokenizer?: boolean;
  /**
   * Take every decode step's top-k lists (for top-k sampling, greedy and logit capture) for the whole
   * batch from onnxruntime's TopK instead of a JavaScript scan per row — from the model's own pass where the
   * loaded graph ends in one (`session.topKInGraph`, CPU), else from a separate TopK call: "auto" (default)
   * when scanning the step's rows would cost at least 131,072 logit reads (`topKScanCost`: 128 rows of a
   * 256-token vocabulary at top-k 50, or 4 rows of 32k; below that the scan is cheaper), "always", or
   * "never" (JavaScript scans, logits always fetched). Samples and captured logits are identical either way.
   */
  batchTopK?: "auto" | "always" | "never";
  /** Model id recorded in outputs (default: the folder name). */
  modelId?: string;
}

/** Every key of GeneratorOptions, for Generator.load's check (kept in step by the `satisfies`). */
const GENERATOR_OPTION_KEYS = Object.keys({
  executionProvider: true,
  intraOpThreads: true,
  interOpThreads: true,
  warn: true,
  appendKvInPlace: true,
  cpuGraphEdits: true,
  kvOnDevice: true,
  tokenizer: true,
  batchTopK: true,
  modelId: true,
} satisfies Record<keyof GeneratorOptions, true>);

interface Group {
  input: PromptInput;
  promptIds: number[];
  params: SamplingParams;
  /** Sample indices not yet admitted. */
  pending: number[];
  /** The prompt's KV row, last-position logits and (from the graph's TopK) their top list. */
  prefill: { kv: SessionKv; row: number; logits: Float32Array; top: RowTop | null } | null;
}

interface ActiveRow {
  seq: SequenceState;
  source: SessionKvSource;
}

/** One sequence's KV after a padded forward: row `row` of `kv`. */
export interface KvRow {
  kv: SessionKv;
  row: number;
}

/**
 * Receives each pass of {@link Generator.forwardPadded}: `rowCount` rows (sequences firstRow..) x `seq`
 * positions (padded positions start..) x `vocab` logits, row-major.
 */
export type PaddedLogitsSink = (
  logits: Float32Array,
  vocab: number,
  start: number,
  seq: number,
  padded: number,
  firstRow: number,
  rowCount: number,
) => void;

export const defaultCaptureKey = (promptId: string, sampleIndex: number): string =>
  `${promptId}#${sampleIndex}`;

/**
 * Per batchTopK mode, the least JavaScript scan cost of a step (logit reads, `topKScanCost` x rows) for
 * which onnxruntime's TopK is used. "auto" was measured on CPU with the TopK in the graph: tiny model (256
 * logits) top-k 50 at 16 / 32 / 64 / 128 rows, graph vs scan 1.13 / 1.06 / 0.88 / 0.75x per step; 53M model
 * (32,768 logits) at 1 / 4 rows 1.0 / 0.91x.
 */
const BATCH_TOP_K_MODES = new Map<string, number>([
  ["auto", 1 << 17],
  ["always", 0],
  ["never", Number.POSITIVE_INFINITY],
]);

/** Values given for some rows (`rows[j]` holds `values[j]`), spread over all `count` rows. */
function perRow(count: number, rows: readonly number[], values: Float32Array): (number | undefined)[] {
  const out = new Array<number | undefined>(count);
  rows.forEach((r, j) => {
    out[r] = values[j];
  });
  return out;
}

/**
 * How many of a row's largest raw logits its next token can use: `captureK` for the capture, 1 for greedy,
 * k + 1 for a small top-k (0: none).
 */
function topEntriesUsed(p: SamplingParams, captureK: number, vocab: number): number {
  let k = captureK;
  // A repetition penalty changes the row after capture, so sampling scans the penalised row itself.
  if (p.repetitionPenalty === 1) {
    if (p.temperature === 0) k = Math.max(k, 1);
    else if (p.topK > 0 && p.topK <= SMALL_TOP_K && p.topK < vocab) k = Math.max(k, p.topK + 1);
  }
  return Math.min(k, vocab);
}

export class Generator {
  readonly session: DecoderSession;
  private closed = false;
  readonly tokenizer: ModelTokenizer | null;
  readonly config: ModelConfig | null;
  readonly generationConfig: GenerationConfig | null;
  readonly modelId: string;
  private readonly batchTopKMinCost: number;
  private readonly threads: number | undefined;
  private selector: Promise<TopKSelector> | null = null;

  private constructor(
    session: DecoderSession,
    tokenizer: ModelTokenizer | null,
    config: ModelConfig | null,
    generationConfig: GenerationConfig | null,
    modelId: string,
    batchTopKMinCost: number,
    threads: number | undefined,
  ) {
    this.session = session;
    this.tokenizer = tokenizer;
    this.config = config;
    this.generationConfig = generationConfig;
    this.modelId = modelId;
    this.batchTopKMinCost = batchTopKMinCost;
    this.threads = threads;
  }

  /** Open an exported model folder (model.onnx + config.json + tokenizer files) or a bare .onnx file. */
  static async load(modelPath: string, options: GeneratorOptions = {}): Promise<Generator> {
    // A misspelled `executionProvidr: "webgpu"` would otherwise load on the CPU without a word.
    refuseUnknownKeys(options, GENERATOR_OPTION_KEYS, "Generator.load options");
    const mode = options.batchTopK ?? "auto";
    const minCost = BATCH_TOP_K_MODES.get(mode);
    if (minCost === undefined)
      throw new RolloutError(`batchTopK must be "auto", "always" or "never", found ${JSON.stringify(mode)}`);
    const session = await DecoderSession.open(modelPath, options);
    const dir = modelFolder(session.file);
    const hasConfig = existsSync(path.join(dir, "config.json"));
    const config = hasConfig ? await loadModelConfig(dir) : null;
    const generationConfig = hasConfig ? await loadGenerationConfig(dir, config ?? undefined) : null;
    const wantTokenizer = options.tokenizer ?? existsSync(path.join(dir, "tokenizer.json"));
    const tokenizer = wantTokenizer ? await loadTokenizer(dir) : null;
    const modelId = options.modelId ?? path.basename(path.resolve(dir));
    return new Generator(
      session,
      tokenizer,
      config,
      generationConfig,
      modelId,
      minCost,
      options.intraOpThreads,
    );
  }

  /**
   * Whether a pass over `rows` rows takes its top lists from the TopK the loaded graph ends in: where the
   * graph has one and scanning the rows would cost more (see batchTopK). Below that, fetching the small
   * logits and scanning them in JavaScript is cheaper.
   */
  private useGraphTopK(rows: number, k: number): boolean {
    return this.session.topKInGraph && this.batchTopKPays(rows, this.vocabSize, k);
  }

  /** Whether onnxruntime's TopK beats scanning `rows` rows in JavaScript (see BATCH_TOP_K_MODES). */
  private batchTopKPays(rows: number, vocab: number, k: number): boolean {
    return rows * topKScanCost(vocab, k) >= this.batchTopKMinCost;
  }

  /** End-of-sequence ids from generation_config.json / config.json / the tokenizer. */
  defaultStopTokenIds(): number[] {
    const ids = new Set<number>(this.generationConfig?.eosTokenIds ?? this.config?.eosTokenIds ?? []);
    if (this.tokenizer?.eosTokenId != null) ids.add(this.tokenizer.eosTokenId);
    return [...ids];
  }

  /**
   * The sampling settings of the model's generation_config.json, as transformers' `generate()` takes them
   * when it is given none: greedy unless `do_sample`, else its temperature, top_k, top_p and min_p; its
   * repetition_penalty either way, and max_new_tokens when set. Missing fields are transformers' defaults
   * (top_k 50); a model folder without config.json gives `{}`. Not applied unless asked for (the CLI's
   * `--generation-config`): a job's settings stay the ones it names.
   */
  modelSampling(): Partial<SamplingParams> {
    const g = this.generationConfig;
    if (!g) return {};
    const out: Partial<SamplingParams> = g.doSample
      ? { temperature: g.temperature, topK: g.topK, topP: g.topP }
      : { temperature: 0 };
    if (g.doSample && g.minP !== null) out.minP = g.minP;
    out.repetitionPenalty = g.repetitionPenalty;
    if (g.maxNewTokens !== null) out.maxNewTokens = g.maxNewTokens;
    return out;
  }

  /** The token ids a prompt turns into. */
  encodePrompt(input: PromptInput): number[] {
    if (input.tokenIds) return input.tokenIds;
    if (!input.messages) throw new RolloutError(`prompt "${input.id}": needs "messages" or "tokenIds"`);
    if (!this.tokenizer)
      throw new RolloutError(
        `prompt "${input.id}": chat messages need a tokenizer.json in ${modelFolder(this.session.file)}`,
      );
    const kwargs = input.chatTemplateKwargs;
    // Checked here too: a library caller's object goes straight to the renderer, and a bad one (a function,
    // `messages`) should be named with the prompt it came with.
    if (kwargs !== undefined) checkChatTemplateKwargs(kwargs, `prompt "${input.id}": chatTemplateKwargs`);
    // The readers check this naming file:line; a library caller's messages are checked here, by the prompt's id.
    checkPromptMessages(input.messages, `prompt "${input.id}"`, this.tokenizer.chatTemplate?.source ?? "");
    return this.tokenizer.encodeChat(input.messages, {
      addGenerationPrompt: true,
      ...(input.now !== undefined ? { now: input.now } : {}),
      // None or {} renders exactly as before (no variables at all).
      ...(chatTemplateKwargsKey(kwargs) !== "" ? { variables: { ...kwargs } } : {}),
    });
  }

  /**
   * Whether the model's chat template reads the clock (calls `strftime_now`, as Llama 3.1 / 3.2-Instruct do):
   * its prompts then depend on the day they are rendered, and a job pins one (`templateDate`).
   */
  get templateReadsDate(): boolean {
    return templateReadsDate(this.tokenizer?.chatTemplate?.source);
  }

  /**
   * Throw, naming `label`, when an id of `ids` is not a token of the model's vocabulary (onnxruntime's
   * Gather would read a negative id from the end of the table) or when `ids` and `room` more positions do
   * not fit in the model's context (max_position_embeddings).
   */
  checkTokenIds(label: string, ids: readonly number[], room = 0): void {
    const vocab = this.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i] as number;
      if (!Number.isInteger(t) || t < 0 || (vocab > 0 && t >= vocab)) {
        const range = vocab > 0 ? `[0, ${vocab})` : "the vocabulary";
        throw new RolloutError(`${label}: token ${i} is ${JSON.stringify(t)}, not an id in ${range}`);
      }
    }
    if (ids.length + room > this.maxContext) {
      throw new RolloutError(
        `${label}: ${ids.length} tokens${room > 0 ? ` and ${room} more` : ""} do not fit in the model's context of ${this.maxContext} positions (max_position_embeddings)`,
      );
    }
  }

  get vocabSize(): number {
    return this.session.io.vocabSize ?? this.config?.vocabSize ?? 0;
  }

  get maxContext(): number {
    return this.config?.maxPositionEmbeddings ?? Number.POSITIVE_INFINITY;
  }

  /** Reply text of sampled ids: a final stop id dropped, special tokens skipped. */
  decodeReply(tokens: readonly number[], stopTokenIds: readonly number[]): string {
    if (!this.tokenizer) return "";
    const last = tokens[tokens.length - 1];
    const body = last !== undefined && stopTokenIds.includes(last) ? tokens.slice(0, -1) : tokens;
    // A model whose LM head is padded past the tokenizer can sample an id without a token: it has no text.
    return this.tokenizer.decode(body, { skipSpecialTokens: true, skipIdsWithoutToken: true });
  }

  private stopChecker(): StopChecker | null {
    const tok = this.tokenizer;
    return tok
      ? stopStringChecker((ids) => tok.decode(ids, { skipSpecialTokens: false, skipIdsWithoutToken: true }))
      : null;
  }

  /** Run every prompt × its samples; finished sequences arrive as they finish. */
  async *generate(
    prompts: Iterable<PromptInput>,
    options: GenerateOptions = {},
  ): AsyncGenerator<FinishedSequence> {
    this.assertOpen();
    // A misspelled option (samplng) would otherwise be dropped and the run use the defaults without a word.
    refuseUnknownKeys(options, GENERATE_OPTION_KEYS, "generate options");
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    const maxBatch = options.maxBatch ?? 32;
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RolloutError(`maxBatch must be an integer >= 1, found ${maxBatch}`);
    const refill = options.refill ?? "half";
    const named: Record<string, number> = { eager: 1, half: Math.ceil(maxBatch / 2), waves: maxBatch };
    const minFree = typeof refill === "number" ? refill : (named[refill] ?? Number.NaN);
    if (!Number.isInteger(minFree) || minFree < 1) {
      throw new RolloutError(
        `refill must be "eager", "half", "waves" or an integer >= 1, found ${JSON.stringify(refill)}`,
      );
    }
    const base = resolveSampling(
      { stopTokenIds: this.defaultStopTokenIds(), ...dropUndefined(options.sampling ?? {}) },
      DEFAULT_SAMPLING,
      "generate options",
    );
    const captureKey = options.capture?.key ?? defaultCaptureKey;
    const writer = options.capture?.writer ?? null;
    if (writer && this.vocabSize && writer.meta.vocabSize !== this.vocabSize) {
      throw new RolloutError(
        `logit store ${writer.dir}: vocabSize ${writer.meta.vocabSize} does not match the model's ${this.vocabSize}`,
      );
    }
    const stopCheck = this.stopChecker();

    const queue: Group[] = [];
    const seenIds = new Set<string>();
    let totalSequences = 0;
    for (const input of prompts) {
      if (typeof input.id !== "string" || input.id === "")
        throw new RolloutError(`prompt id must be a non-empty string, found ${JSON.stringify(input.id)}`);
      if (seenIds.has(input.id)) throw new RolloutError(`prompt id "${input.id}" appears twice`);
      seenIds.add(input.id);
      const pending = sampleIndicesOf(input, options.n);
      if (pending.length === 0) continue;
      const params = resolveSampling(input.sampling, base, `prompt "${input.id}" sampling`);
      const vocab = this.vocabSize;
      const outside = params.stopTokenIds.find((t) => vocab > 0 && t >= vocab);
      if (outside !== undefined)
        throw new RolloutError(`prompt "${input.id}": stop token id ${outside} is not in [0, ${vocab})`);
      if (params.stopStrings.length > 0 && !this.tokenizer)
        throw new RolloutError(`prompt "${input.id}": stop strings need the model's tokenizer.json`);
      const promptIds = this.encodePrompt(
        input.chatTemplateKwargs === undefined && options.chatTemplateKwargs !== undefined
          ? { ...input, chatTemplateKwargs: options.chatTemplateKwargs }
          : input,
      );
      if (promptIds.length === 0) throw new RolloutError(`prompt "${input.id}": empty prompt`);
      // Room for one reply token: the first is sampled from the prompt's last position.
      this.checkTokenIds(`prompt "${input.id}"`, promptIds, 1);
      queue.push({ input, promptIds, params, pending, prefill: null });
      totalSequences += pending.length;
    }

    let active: ActiveRow[] = [];
    let kv: SessionKv = this.session.emptyKv(0);
    // Prefill batches and how many groups still read their rows: a batch is released when none does (on
    // the device a batch holds provider memory until released; see DecoderSession.release).
    const prefillReaders = new Map<SessionKv, number>();
    const unread: SessionKv[] = [];
    const dropPrefill = (group: Group): void => {
      const pre = group.prefill;
      if (!pre) return;
      group.prefill = null;
      const left = (prefillReaders.get(pre.kv) ?? 1) - 1;
      if (left > 0) prefillReaders.set(pre.kv, left);
      else {
        prefillReaders.delete(pre.kv);
        unread.push(pre.kv); // released after this step's gather has copied its rows
      }
    };
    let finishedSequences = 0;
    let generatedTokens = 0;
    const finishedOut: FinishedSequence[] = [];

    const finish = (seq: SequenceState): void => {
      const reason = seq.finish as FinishReason;
      let text = this.decodeReply(seq.tokens, seq.params.stopTokenIds);
      if (seq.stopStringHit !== null) {
        const at = text.indexOf(seq.stopStringHit);
        if (at >= 0) text = text.slice(0, at);
      }
      const out: FinishedSequence = {
        promptId: seq.promptId,
        sampleIndex: seq.sampleIndex,
        text,
        tokenIds: seq.tokens,
        finishReason: reason,
        promptTokens: seq.promptIds.length,
        seed: seq.params.seed,
        timing: { startedMs: seq.startedMs, firstTokenMs: seq.firstTokenMs, finishedMs: now() },
      };
      if (seq.stopStringHit !== null) out.stopString = seq.stopStringHit;
      if (seq.capture && writer) {
        const c = seq.capture;
        writer.writeExample(c.key, {
          tokenIds: seq.tokens,
          topkIds: c.topkIds,
          topkLogits: c.topkLogits,
          logSumExp: c.logSumExp,
        });
        out.logitKey = c.key;
      } else if (writer) {
        out.logitKey = captureKey(seq.promptId, seq.sampleIndex); // already stored by an earlier run
      }
      finishedSequences++;
      finishedOut.push(out);
    };

    try {
      while (true) {
        options.signal?.throwIfAborted();
        // Admission: refill free slots from the queue.
        const free = maxBatch - active.length;
        const admitNow = queue.length > 0 && free > 0 && (free >= minFree || active.length === 0);
        const admitted: ActiveRow[] = [];
        let removed = false;
        if (admitNow) {
          const takes: { group: Group; samples: number[] }[] = [];
          let room = free;
          for (const group of queue) {
            if (room === 0) break;
            const samples = group.pending.splice(0, room);
            room -= samples.length;
            takes.push({ group, samples });
          }
          while (queue.length > 0 && (queue[0] as Group).pending.length === 0) queue.shift();
          const fresh = takes.map((t) => t.group).filter((g) => g.prefill === null);
          await this.prefill(fresh, options.prefillLogitBudget ?? 2 ** 25, writer ? writer.meta.k : 0);
          for (const g of fresh) {
            const b = (g.prefill as NonNullable<Group["prefill"]>).kv;
            prefillReaders.set(b, (prefillReaders.get(b) ?? 0) + 1);
          }
          for (const { group, samples } of takes) {
            const pre = group.prefill as NonNullable<Group["prefill"]>;
            for (const sampleIndex of samples) {
              const seq = this.newSequence(group, sampleIndex, now(), writer, captureKey);
              // The row is shared by the prompt's samples: copied only for a penalty, which edits it in place.
              const penalised = seq.seen !== null && seq.params.repetitionPenalty !== 1;
              const row = penalised ? Float32Array.from(pre.logits) : pre.logits;
              consumeLogits(seq, row, this.maxContext, stopCheck, pre.top ?? undefined);
              seq.firstTokenMs = now();
              generatedTokens++;
              if (seq.finish) finish(seq);
              else admitted.push({ seq, source: { from: pre.kv, row: pre.row, len: seq.kvLength } });
            }
            // The prompt's KV is dropped once every sample has its copy.
            if (group.pending.length === 0) dropPrefill(group);
          }
        }
        for (const out of finishedOut.splice(0)) yield out;
        if (admitted.length > 0 || active.some((a) => a.seq.finish)) removed = true;
        if (removed) {
          active = active.filter((a) => !a.seq.finish);
          for (const a of active) a.source = { from: kv, row: a.source.row, len: a.seq.kvLength };
          active.push(...admitted);
          const old = kv;
          kv = await this.session.gather(active.map((a) => a.source));
          this.session.release(old);
          active.forEach((a, i) => {
            a.source = { from: kv, row: i, len: a.seq.kvLength };
          });
        }
        for (const b of unread.splice(0)) this.session.release(b);
        if (active.length === 0) {
          if (queue.length === 0) break;
          continue;
        }

        // One decode step for every active row.
        const rows = active.length;
        const tokenIds = new Array<number>(rows);
        const pads = new Array<number>(rows);
        for (let r = 0; r < rows; r++) {
          const seq = (active[r] as ActiveRow).seq;
          tokenIds[r] = seq.tokens[seq.tokens.length - 1] as number;
          pads[r] = kv.length - seq.kvLength;
        }
        const { out, tops, lse } = await this.decodeStep({ tokenIds, rows, seq: 1, pads, past: kv }, active);
        this.session.release(kv); // a device pass returns a new batch (a host past is left as it is)
        kv = out.present;
        for (let r = 0; r < rows; r++) {
          const a = active[r] as ActiveRow;
          a.seq.kvLength++;
          a.source = { from: kv, row: r, len: a.seq.kvLength };
          const known = tops ? rowTop(tops, r) : undefined;
          const rowLse = lse?.[r];
          if (out.logits) {
            const row = out.logits.subarray(r * out.vocab, (r + 1) * out.vocab);
            consumeLogits(a.seq, row, this.maxContext, stopCheck, known, rowLse);
          } else consumeTop(a.seq, known as RowTop, out.vocab, this.maxContext, stopCheck, rowLse);
          generatedTokens++;
          if (a.seq.finish) finish(a.seq);
        }
        options.onProgress?.({
          finishedSequences,
          totalSequences,
          generatedTokens,
          activeRows: rows,
          elapsedMs: now(),
        });
        for (const o of finishedOut.splice(0)) yield o;
      }
    } finally {
      this.session.release(kv);
      for (const b of [...prefillReaders.keys(), ...unread]) this.session.release(b);
    }
    options.onProgress?.({
      finishedSequences,
      totalSequences,
      generatedTokens,
      activeRows: 0,
      elapsedMs: now(),
    });
  }

  /**
   * One decode step for every active row, with the batch's top-k lists when the rows use them. Where the
   * loaded graph ends in a TopK (CPU), the lists come from the same pass, and when every row can draw from
   * its list alone the logits are not fetched at all (16 MB per step at 128 rows x 32k vocabulary, 78 MB
   * at Qwen's 152k); captured rows get their log-sum-exp from the pass too (`lse`, per row), where the
   * graph has it. A tie at some row's k-th logit, which may continue past the list, reruns the step with
   * the logits (the in-place cache columns it writes are rewritten with the same values).
   */
  private async decodeStep(
    input: ForwardInput,
    active: readonly ActiveRow[],
  ): Promise<{ out: ForwardOutput; tops: BatchTop | null; lse: (number | undefined)[] | null }> {
    const vocab = this.vocabSize;
    let k = 0;
    for (const a of active) k = Math.max(k, topEntriesUsed(a.seq.params, a.seq.capture?.k ?? 0, vocab));
    if (k === 0) return { out: await this.session.forward(input), tops: null, lse: null };
    if (this.useGraphTopK(input.rows, k)) {
      // Captured rows' log-sum-exp from the same pass, where the graph has it (one logit row per row here).
      const graphLse = this.session.logSumExpInGraph;
      const lseRows = graphLse ? active.flatMap((a, r) => (a.seq.capture ? [r] : [])) : [];
      const listsOnly = active.every((a) => topListSuffices(a.seq, vocab, graphLse));
      let out = await this.session.forward({
        ...input,
        topK: k,
        fetchLogits: !listsOnly,
        logSumExpRows: lseRows,
      });
      if (listsOnly && active.some((a, r) => topNeedsRow(rowTop(out.top as BatchTop, r), a.seq.params))) {
        this.session.release(out.present); // rerun from the same past
        out = await this.session.forward({ ...input, topK: k, logSumExpRows: lseRows });
      }
      const lse = out.logSumExp ? perRow(active.length, lseRows, out.logSumExp) : null;
      return { out, tops: out.top, lse };
    }
    const out = await this.session.forward(input);
    return {
      out,
      tops: await this.batchTop(out.logits as Float32Array, input.rows, out.vocab, k),
      lse: null,
    };
  }

  /** The `k` largest logits of every row from the TopK session, when the step is large enough for it. */
  private async batchTop(
    logits: Float32Array,
    rows: number,
    vocab: number,
    k: number,
  ): Promise<BatchTop | null> {
    if (!this.batchTopKPays(rows, vocab, k)) return null;
    this.selector ??= TopKSelector.create(this.threads);
    return (await this.selector).select(logits, rows, vocab, k);
  }

  private newSequence(
    group: Group,
    sampleIndex: number,
    startedMs: number,
    writer: LogitStoreWriter | null,
    captureKey: (promptId: string, sampleIndex: number) => string,
  ): SequenceState {
    const params = group.params;
    const key = writer ? captureKey(group.input.id, sampleIndex) : null;
    const capture =
      writer && key !== null && !writer.has(key)
        ? { key, k: writer.meta.k, topkIds: [], topkLogits: [], logSumExp: [] }
        : null;
    return {
      promptId: group.input.id,
      sampleIndex,
      promptIds: group.promptIds,
      params,
      stream: streamKey(params.seed, group.input.id, sampleIndex),
      tokens: [],
      seen: params.repetitionPenalty !== 1 ? new Set(group.promptIds) : null,
      kvLength: group.promptIds.length,
      capture,
      finish: null,
      stopStringHit: null,
      startedMs,
      firstTokenMs: startedMs,
    };
  }

  /** Prefill groups together (left padded, chunked); each gets its KV row and last-position logits. */
  private async prefill(groups: Group[], logitBudget: number, captureK: number): Promise<void> {
    if (groups.length === 0) return;
    let k = 0;
    for (const g of groups) k = Math.max(k, topEntriesUsed(g.params, captureK, this.vocabSize));
    const result = await this.forwardPadded(
      groups.map((g) => g.promptIds),
      logitBudget,
      null,
      k > 0 && this.useGraphTopK(groups.length, k) ? k : undefined,
    );
    groups.forEach((g, i) => {
      const { kv, row } = result.kvRows[i] as KvRow;
      const top = result.lastTops?.[i] ?? null;
      g.prefill = { kv, row, logits: result.lastLogits[i] as Float32Array, top };
    });
  }

  /**
   * Forward left-padded sequences through the model in chunks of positions, bounded by `budget` floats per
   * pass: `rows x chunk x vocab` logits, or, where only the last position's logits are computed (no
   * `onRows`, a model that keeps last logits), `rows x chunk x` the widest activation (the MLP's, or the
   * attention scores'). Where the graph takes a multi-token pass after cached positions for one row only
   * (`session.multiRowChunks` false, GroupQueryAttention), rows go in groups that each fit one pass, and a
   * row that does not fit alone is chunked by itself. `onRows` sees every pass's logits (column c of the
   * pass is padded position start + c, row j is sequence firstRow + j). Returns each sequence's KV row, last
   * logits, and with `lastTopK` (needs session.topKInGraph) its top list at the last position. The KV
   * batches are the caller's to release (DecoderSession.release); with `keepKv` false none is returned.
   */
  async forwardPadded(
    sequences: readonly (readonly number[])[],
    budget: number,
    onRows: PaddedLogitsSink | null,
    lastTopK?: number,
    keepKv = true,
  ): Promise<{ kvRows: KvRow[]; lastLogits: Float32Array[]; lastTops: RowTop[] | null; pads: number[] }> {
    const rows = sequences.length;
    const padded = sequences.reduce((m, s) => Math.max(m, s.length), 0);
    const pads = sequences.map((s) => padded - s.length);
    const width = this.floatsPerPosition(padded, onRows === null);
    const positionsFor = (n: number): number => Math.floor(budget / (n * width));
    let groupRows = rows;
    if (!this.session.multiRowChunks && positionsFor(rows) < padded)
      groupRows = Math.max(1, Math.min(rows, Math.floor(budget / (padded * width))));
    const kvRows: KvRow[] = [];
    const lastLogits: Float32Array[] = [];
    const lastTops: RowTop[] = [];
    // Batches made here that the caller will own (kept) and the one being extended (current).
    const kept: SessionKv[] = [];
    let current: SessionKv | null = null;
    try {
      for (let first = 0; first < rows; first += groupRows) {
        const count = Math.min(groupRows, rows - first);
        const groupPads = pads.slice(first, first + count);
        const chunk = Math.max(1, Math.min(padded, positionsFor(count)));
        let kv: SessionKv = this.session.emptyKv(count, padded);
        current = kv;
        for (let start = 0; start < padded; start += chunk) {
          const seq = Math.min(chunk, padded - start);
          const ids = new Array<number>(count * seq);
          for (let r = 0; r < count; r++) {
            const s = sequences[first + r] as readonly number[];
            const pad = groupPads[r] as number;
            for (let j = 0; j < seq; j++) {
              const p = start + j - pad;
              ids[r * seq + j] = p >= 0 ? (s[p] as number) : 0;
            }
          }
          // Without onRows only the last position's logits are used: the model may skip the others.
          const last = start + seq === padded;
          const out = await this.session.forward({
            tokenIds: ids,
            rows: count,
            seq,
            pads: groupPads,
            past: kv,
            lastLogitsOnly: onRows === null,
            ...(last && lastTopK !== undefined ? { topK: lastTopK } : {}),
          });
          this.session.release(kv); // a device pass returns a new batch (a host past is left as it is)
          kv = out.present;
          current = kv;
          const logits = out.logits as Float32Array; // fetched: forward's default
          onRows?.(logits, out.vocab, start, seq, padded, first, count);
          if (!last) continue;
          current = null;
          if (keepKv) kept.push(kv);
          else this.session.release(kv);
          const P = out.positions;
          const top = out.top;
          for (let r = 0; r < count; r++) {
            if (keepKv) kvRows.push({ kv, row: r });
            lastLogits.push(logits.slice((r * P + P - 1) * out.vocab, (r * P + P) * out.vocab));
            if (top) lastTops.push(rowTop(top, r * P + P - 1));
          }
        }
      }
    } catch (e) {
      if (current) this.session.release(current);
      for (const b of kept) this.session.release(b);
      throw e;
    }
    return { kvRows, lastLogits, lastTops: lastTops.length === rows ? lastTops : null, pads };
  }

  /**
   * Floats a pass holds per row and position: the vocabulary's logits, or where only the last position's
   * are computed, the widest activation — the MLP's, or the attention scores over `length` positions (from
   * config.json; without it, the vocabulary as before).
   */
  private floatsPerPosition(length: number, lastOnly: boolean): number {
    const vocab = Math.max(1, this.vocabSize);
    const c = this.config;
    if (!lastOnly || !this.session.keepsLastLogits || !c) return vocab;
    return Math.max(1, c.intermediateSize, c.numHeads * length);
  }

  /** Releases the model session; calling it again does nothing, and a later generate() is refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.selector) await (await this.selector).close();
    await this.session.close();
  }

  /** onnxruntime's own error after close ("Session already disposed") names neither the cause nor the fix. */
  private assertOpen(): void {
    if (this.closed)
      throw new RolloutError(
        `${this.session.file}: generator is closed; open a new Generator to generate again`,
      );
  }
}

/** The sample indices a prompt asks for, checked: `sampleIndices`, else 0..n-1. */
function sampleIndicesOf(input: PromptInput, defaultN: number | undefined): number[] {
  const where = `prompt "${input.id}"`;
  if (input.sampleIndices) {
    const seen = new Set<number>();
    for (const i of input.sampleIndices) {
      if (!(Number.isInteger(i) && i >= 0))
        throw new RolloutError(`${where}: sample indices must be integers >= 0, found ${JSON.stringify(i)}`);
      if (seen.has(i)) throw new RolloutError(`${where}: sample index ${i} appears twice`);
      seen.add(i);
    }
    return [...input.sampleIndices];
  }
  const n = input.n ?? defaultN ?? 1;
  if (!(Number.isInteger(n) && n >= 0))
    throw new RolloutError(`${where}: n must be an integer >= 0, found ${JSON.stringify(n)}`);
  return Array.from({ length: n }, (_, i) => i);
}
