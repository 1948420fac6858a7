/**
 * @ssb/curation's `TeacherGenerator` over this package's Generator: each request becomes one prompt with
 * one sample (index 0) drawn from the stream of (request seed, request id), so a retried or resumed request
 * repeats exactly; with `captureLogits` the reply's top-k logits go to the logit store under the request id.
 *
 * The request / result types are declared here structurally (the same fields as curation's), so rollout does
 * not depend on curation; a type test checks the two stay assignable.
 */
import type { LogitStoreWriter } from "@ssb/logit-store";
import {
  type ChatMessage,
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  parseTemplateDate,
} from "@ssb/model";
import { RolloutError } from "./errors.js";
import { modelFingerprint } from "./fingerprints.js";
import type { GenerateOptions, Generator, PromptInput } from "./generator.js";
import { storedEarlier } from "./job-checks.js";
import { dropUndefined, resolveSampling, type SamplingParams } from "./sampling-params.js";
import type { FinishReason } from "./sequence.js";

export interface TeacherSamplingInput {
  temperature: number;
  topK: number;
  topP?: number;
  maxNewTokens?: number;
  seed?: number;
}

export interface TeacherGenerationRequest {
  id: string;
  messages: ChatMessage[];
  /**
   * The messages already rendered and tokenized by the caller (runTeacherReplies does it once per prompt
   * for its fingerprint, and a prompt has one request per attempt); encoded here when absent.
   */
  promptIds?: number[];
  sampling: TeacherSamplingInput;
}

export interface TeacherGenerationOptions {
  captureLogits: boolean;
}

export interface TeacherGenerationResult {
  id: string;
  text: string;
  tokenIds: number[];
  finishReason: FinishReason;
  logitKey?: string;
}

export interface TeacherGeneratorAdapter {
  /**
   * What writes the replies: the model files' fingerprint and the sampling settings this adapter adds to every
   * request. @ssb/curation pins it in its run.json, so a resume with another teacher model is refused.
   */
  readonly identity: string;
  generate(
    requests: TeacherGenerationRequest[],
    options: TeacherGenerationOptions,
  ): AsyncIterable<TeacherGenerationResult>;
  /** Completes the logit store's current shard, so every reply yielded so far has its logits on disk. */
  commit(): Promise<void>;
}

export interface CreateTeacherGeneratorOptions {
  generator: Generator;
  /** Sink for captured logits; required when generate() is called with captureLogits: true. */
  logitWriter?: LogitStoreWriter;
  /** Logit store example id of a request (default: the request id, e.g. `${problemId}#${attempt}`). */
  logitKey?: (requestId: string) => string;
  /** Settings the request does not carry: stop ids / strings, min-p, repetition penalty, default max tokens. */
  sampling?: Partial<SamplingParams>;
  /** Seed for requests without one (default 0). */
  defaultSeed?: number;
  maxBatch?: number;
  /** Passed to the generator: progress of each generate() call, and a signal that stops it. */
  onProgress?: GenerateOptions["onProgress"];
  signal?: AbortSignal;
  /**
   * The day ("YYYY-MM-DD") a chat template that reads the date (Llama 3.1 / 3.2-Instruct) writes into the
   * prompts of requests without `promptIds`. Default: the day each generate() call renders them, so a caller
   * whose run spans days pins one (recorded with its run, as ssb-rollout's templateDate). Where the template
   * reads the date, the day ends the adapter's `identity` (`; templateDate 2026-11-29`).
   */
  templateDate?: string;
  /**
   * Extra chat template variables for the prompts of requests without `promptIds` (e.g. Qwen3's
   * `{"enable_thinking": false}`). When there are any (chatTemplateKwargsKey not ""), they end the adapter's
   * `identity` (`; chatTemplateKwargs {"enable_thinking":false}`, keys sorted), so a caller that pins it
   * refuses a resume with other kwargs; none or `{}` leaves the identity as before.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

export function createTeacherGenerator(options: CreateTeacherGeneratorOptions): TeacherGeneratorAdapter {
  const keyOf = options.logitKey ?? ((id: string) => id);
  const now =
    options.templateDate !== undefined
      ? parseTemplateDate(options.templateDate, "createTeacherGenerator templateDate")
      : undefined;
  const kwargs =
    options.chatTemplateKwargs !== undefined
      ? checkChatTemplateKwargs(options.chatTemplateKwargs, "createTeacherGenerator chatTemplateKwargs")
      : undefined;
  return {
    identity: teacherIdentity(options),
    async commit() {
      await options.logitWriter?.flush();
    },
    async *generate(requests, generationOptions) {
      const writer = options.logitWriter;
      if (generationOptions.captureLogits && !writer) {
        throw new RolloutError("createTeacherGenerator: captureLogits is on but no logitWriter was given");
      }
      // A teacher prompt holds two replies of the model's own, so its length is not the caller's to choose:
      // one too long for the model's context comes back at once as an empty, truncated reply (which
      // curation grades as no answer) instead of failing every other request with it.
      const generator = options.generator;
      const prompts: PromptInput[] = [];
      for (const r of requests) {
        const ids =
          r.promptIds ??
          generator.encodePrompt({
            id: r.id,
            messages: r.messages,
            ...(now !== undefined ? { now } : {}),
            ...(kwargs !== undefined ? { chatTemplateKwargs: kwargs } : {}),
          });
        if (ids.length + 1 > generator.maxContext) {
          yield { id: r.id, text: "", tokenIds: [], finishReason: "length" };
          continue;
        }
        prompts.push(promptOf(r, ids, options.defaultSeed ?? 0));
      }
      const genOptions: GenerateOptions = {};
      if (options.sampling) genOptions.sampling = options.sampling;
      if (options.maxBatch !== undefined) genOptions.maxBatch = options.maxBatch;
      if (options.onProgress) genOptions.onProgress = options.onProgress;
      if (options.signal) genOptions.signal = options.signal;
      if (generationOptions.captureLogits && writer) {
        genOptions.capture = { writer, key: (promptId) => keyOf(promptId) };
      }
      // A request whose key the store already holds (a resumed run) is sampled again without capture and
      // must come out as the stored tokens.
      const earlier = genOptions.capture
        ? await storedEarlier(
            writer ?? null,
            prompts.map((p) => keyOf(p.id)),
          )
        : null;
      try {
        for await (const s of generator.generate(prompts, genOptions)) {
          earlier?.check(keyOf(s.promptId), s.tokenIds, `the teacher sampled for request "${s.promptId}"`);
          const result: TeacherGenerationResult = {
            id: s.promptId,
            text: s.text,
            tokenIds: s.tokenIds,
            finishReason: s.finishReason,
          };
          if (s.logitKey !== undefined) result.logitKey = s.logitKey;
          yield result;
        }
      } finally {
        earlier?.close();
      }
    },
  };
}

/** One request as a prompt of one sample, its stream keyed by (request seed, request id). */
function promptOf(r: TeacherGenerationRequest, tokenIds: number[], defaultSeed: number): PromptInput {
  const sampling: Partial<SamplingParams> = {
    temperature: r.sampling.temperature,
    topK: r.sampling.topK,
    seed: r.sampling.seed ?? defaultSeed,
  };
  if (r.sampling.topP !== undefined) sampling.topP = r.sampling.topP;
  if (r.sampling.maxNewTokens !== undefined) sampling.maxNewTokens = r.sampling.maxNewTokens;
  return { id: r.id, tokenIds, n: 1, sampling };
}

/** Fields every request sets itself (promptOf): the adapter's own value for them is never used. */
const PER_REQUEST: ReadonlySet<string> = new Set(["temperature", "topK", "seed"]);

/**
 * The model's fingerprint (its files, wherever they lie) and the sampling the adapter adds where it differs
 * from the generator's defaults, keys sorted: a default given explicitly (ssb-rollout --teacher-prompts fills
 * them all in) is the same teacher as one left out, so a replies file and a live adapter agree.
 */
function teacherIdentity(options: CreateTeacherGeneratorOptions): string {
  const generator = options.generator;
  const defaults = resolveSampling({ stopTokenIds: generator.defaultStopTokenIds() });
  const effective = resolveSampling(
    { stopTokenIds: generator.defaultStopTokenIds(), ...dropUndefined(options.sampling ?? {}) },
    undefined,
    "createTeacherGenerator sampling",
  );
  const added = (Object.keys(effective) as (keyof SamplingParams)[])
    .filter((key) => !PER_REQUEST.has(key))
    .filter((key) => JSON.stringify(effective[key]) !== JSON.stringify(defaults[key]))
    .sort()
    .map((key) => [key, effective[key]]);
  const model = `model ${modelFingerprint(generator.session.file)}`;
  const sampled =
    added.length === 0 ? model : `${model}; sampling ${JSON.stringify(Object.fromEntries(added))}`;
  // The pinned day is part of what the teacher was shown where its template writes the date: a caller that
  // pins the identity (curation's run.json) then refuses a resume with another day instead of mixing two.
  const dated =
    options.templateDate !== undefined && generator.templateReadsDate
      ? `${sampled}; templateDate ${options.templateDate}`
      : sampled;
  // Likewise the kwargs (Qwen3 with and without thinking are different teachers); none leaves it as it was.
  const kwargs = chatTemplateKwargsKey(options.chatTemplateKwargs);
  return kwargs === "" ? dated : `${dated}; chatTemplateKwargs ${kwargs}`;
}
