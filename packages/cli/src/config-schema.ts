/**
 * The `ssb run` configuration: one object, every field optional, merged over the embedded default. zod checks
 * types and ranges and rejects unknown fields (a typo must not silently fall back to a default); the distill
 * section is passed on to @ssb/distill's own validator, which names its fields the same way.
 */
import { checkAnswerRules, type ExtractionRule, isDefaultAnswerRules } from "@ssb/curation";
import { type ChatTemplateKwargs, checkChatTemplateKwargs, isTemplateDate } from "@ssb/model";
import { z } from "zod";
import { LIMITS } from "./config-limits.js";

// Every number is finite: YAML's .inf / .nan and JSON's 1e400 are values zod's plain number() lets through.
const finite = z.number().finite();
const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
/** A count with an upper bound: beyond it the run would exhaust memory or time long before any result. */
const count = (max: number) => positiveInt.max(max);
/**
 * Seeds are integers a JS number (and a JSON reader) holds exactly: above 2^53 - 1, 2^53 + 1 reads as 2^53
 * and two different seeds would be the same run.
 */
const seed = nonNegativeInt.max(Number.MAX_SAFE_INTEGER);

export const samplingSchema = z
  .object({
    temperature: finite.min(0),
    topK: nonNegativeInt,
    topP: finite.gt(0).max(1),
    maxNewTokens: count(LIMITS.maxNewTokens),
  })
  .strict();

export const problemsSchema = z
  .object({
    /**
     * The generator behind the default model's data (@ssb/default-model): its seed and split sizes must be
     * those the model was pre-trained with, so the held-out split is the one it never saw.
     */
    generator: z
      .object({
        seed,
        pretrainProblems: count(LIMITS.generatedProblems),
        heldOutProblems: count(LIMITS.generatedProblems),
        minSteps: count(LIMITS.steps),
        maxSteps: count(LIMITS.steps),
        maxStart: count(LIMITS.operand),
        maxOperand: count(LIMITS.operand),
      })
      .strict(),
    /**
     * Problems the SSB rollouts run on: fresh draws, disjoint from the pre-training and held-out splits, or the
     * first N of trainFile (all of it, with a warning, when it holds fewer).
     */
    train: positiveInt,
    /** Held-out problems both models are evaluated on (the first N of the held-out split, or of evalFile). */
    eval: positiveInt,
    /** Instead of generated problems: JSONL files of {id, question, answer} (paths relative to the config). */
    trainFile: z.string().min(1).optional(),
    evalFile: z.string().min(1).optional(),
  })
  .strict();

export const rolloutSchema = samplingSchema
  .extend({
    /** Samples per problem (K). */
    samples: count(LIMITS.samples),
    /** Sequences decoded together. */
    batchSize: count(LIMITS.batchSize),
  })
  .strict();

export const curationSchema = z
  .object({
    teacher: samplingSchema,
    /** Top-k logits kept per teacher token. */
    logitK: count(LIMITS.logitK),
    /**
     * Compression of the logit store's shards: "zstd" makes them 27-49% smaller (@ssb/logit-store's numbers)
     * and reads back to the same values; "none" is what every Arrow reader opens without a codec.
     */
    logitCompression: z.enum(["none", "zstd"]),
    /** Teacher tries per problem before the problem is dropped. */
    maxAttempts: count(LIMITS.maxAttempts),
    /** "default" (chat template teacher prompt) or "exact" (the reference's wording). */
    template: z.enum(["default", "exact"]),
    batchSize: count(LIMITS.batchSize),
    /**
     * The verifier's extraction rules rollouts and teacher replies are graded with, in order (default ["boxed"],
     * as SSB's prompts ask): e.g. ["boxed", "answer-tag"] for rollouts written as R1-Zero `<answer>` blocks.
     */
    answerRules: z
      .array(z.string())
      .superRefine((value, ctx) => {
        try {
          checkAnswerRules(value, "answerRules");
        } catch (error) {
          // Without the leading field name: the issue's path names it.
          ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^answerRules:? /, "") });
        }
      })
      // The default written out is the default: a config that spells it out is the same run.
      .transform((value) => (isDefaultAnswerRules(value) ? undefined : (value as ExtractionRule[])))
      .optional(),
  })
  .strict();

export const evalSchema = samplingSchema
  .extend({
    /** Samples per problem; 1 gives McNemar's test on the paired outcomes. */
    samples: count(LIMITS.samples),
    batchSize: count(LIMITS.batchSize),
  })
  .strict();

export const pipelineSchema = z
  .object({
    /** Seed of every random choice in the run (sampling streams, tie-breaks, LoRA init, data order). */
    seed,
    /** HF checkpoint folder (config.json + safetensors + tokenizer), or "default" for the embedded model. */
    model: z.string().min(1),
    /** Work directory (relative to the current directory); `--work` overrides it. */
    workDir: z.string().min(1),
    /** ONNX graph flavour for generation: "contrib" (fused ONNX Runtime kernels, faster on CPU) or "plain". */
    onnxVariant: z.enum(["contrib", "plain"]),
    /** ONNX Runtime intra-op threads (0 = its own choice). */
    threads: nonNegativeInt.max(LIMITS.threads),
    /**
     * ONNX Runtime provider for generation (rollout, teacher, eval): "cpu", "webgpu" (a GPU through
     * onnxruntime-node's own WebGPU provider, KV cache kept on it), "cuda" (needs onnxruntime-node's CUDA
     * provider library) or "auto" (CUDA, else CPU). Changes no stage's settings, as threads do not.
     */
    executionProvider: z.enum(["cpu", "cuda", "webgpu", "auto"]),
    /**
     * The day ("YYYY-MM-DD") a chat template that writes the date (Llama 3.1 / 3.2-Instruct's `strftime_now`)
     * renders in every stage. Default: today at the run's first start, recorded in the work directory's
     * config.json and reused when the run resumes; other templates ignore it and nothing is recorded.
     */
    templateDate: z
      .string()
      .refine(isTemplateDate, { message: 'expected a date as "YYYY-MM-DD" (e.g. 2024-07-26)' })
      .optional(),
    /**
     * Extra chat-template variables every stage renders its prompts with (transformers' `apply_chat_template`
     * kwargs, vLLM's and TRL's `chat_template_kwargs`), e.g. `{"enable_thinking": false}` for Qwen3. `{}` is none.
     */
    chatTemplateKwargs: z
      .record(z.unknown())
      .superRefine((value, ctx) => {
        try {
          checkChatTemplateKwargs(value, "chatTemplateKwargs");
        } catch (error) {
          // The message without its "chatTemplateKwargs: " prefix: the issue's path names the field already.
          ctx.addIssue({
            code: "custom",
            message: (error as Error).message.replace(/^chatTemplateKwargs: /, ""),
          });
        }
      })
      // `{}` is no kwargs: a config that writes it must not count as changed from one that leaves it out.
      .transform((value) => (Object.keys(value).length === 0 ? undefined : (value as ChatTemplateKwargs)))
      .optional(),
    problems: problemsSchema,
    rollout: rolloutSchema,
    curation: curationSchema,
    /** @ssb/distill TrainConfig fields (mode, lora, loss, optimizer, batchSize, epochs, ...), checked there. */
    distill: z.record(z.unknown()),
    eval: evalSchema,
  })
  .strict();

export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type SamplingConfig = z.infer<typeof samplingSchema>;
