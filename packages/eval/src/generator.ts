/**
 * The one thing eval needs from a generation engine. @ssb/rollout implements it over ONNX Runtime (see
 * rollout-generator.ts); tests implement it with scripted replies; a file of replies produced elsewhere
 * implements it too (replies-generator.ts).
 */
import type { ChatTemplateKwargs } from "@ssb/model";
import type { ChatMessage, FinishReason, SamplingParams } from "./types.js";

export interface GenerationPrompt {
  problemId: string;
  /** The conversation to continue: system prompt (if any) and the user's question. */
  messages: ChatMessage[];
  /**
   * Which samples of this prompt to produce, a subset of 0..n-1. A resumed run asks only for the missing ones,
   * so a generator must make sample i of a prompt depend only on (seed, problemId, i, messages, sampling),
   * never on which other samples or prompts share the batch — that is what makes resumed runs identical.
   */
  sampleIndices: number[];
}

export interface GenerationRequest {
  /** The benchmark these prompts come from (problem ids are unique only within a benchmark). */
  benchmark: string;
  prompts: GenerationPrompt[];
  /** Samples per problem in the whole run (sampleIndices are below it). */
  n: number;
  sampling: SamplingParams;
  /** Run seed; per-sample seeds are derived from it. */
  seed: number;
  /**
   * The day ("YYYY-MM-DD") a chat template that reads the date (Llama 3.1 / 3.2-Instruct) writes into the
   * prompts: run.json pins it, so a run resumed on another day renders the prompts of the day it began. Set
   * when the generator's `templateReadsDate` (or the config's templateDate); a generator renders with it.
   */
  templateDate?: string;
  /**
   * Extra chat-template variables (Qwen3's `{ enable_thinking: false }`) every prompt of the request is rendered
   * with: the run's (run.json pins them). Absent when the run has none; a generator renders with them.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

export interface GeneratedSample {
  problemId: string;
  sampleIndex: number;
  text: string;
  /** Generated token count. */
  tokens: number;
  finishReason: FinishReason;
}

/** The problems of one benchmark a run needs samples 0..n-1 of (see SampleGenerator.checkCoverage). */
export interface BenchmarkNeeds {
  benchmark: string;
  problemIds: readonly string[];
}

export interface SampleGenerator {
  /** Identifies the model (path, hash, name): recorded in run.json and checked on resume. */
  readonly modelId: string;
  /**
   * Identifies the weights behind `modelId` (openModelGenerator: a hash of the model files' names, sizes and
   * modification times; loadRepliesGenerator: the replies file's sha256). Recorded in run.json and checked on
   * resume, so a checkpoint retrained or replaced at the same path, or a replies file edited between runs, never
   * has its samples mixed with the old one's. Absent for generators that cannot tell.
   */
  readonly fingerprint?: string;
  /** What `fingerprint` covers, in words ("the replies file r.jsonl"): named when a rerun's differs. */
  readonly fingerprintOf?: string;
  /**
   * Ids earlier versions of the generator gave this same model (openModelGenerator: the path's last part, before
   * modelIdFor). A run.json recording one resumes under it, keeping its id and report names; absent when none.
   */
  readonly formerModelIds?: readonly string[];
  /**
   * Where the samples are generated (openModelGenerator: onnxruntime's provider actually used, `cpu`, `cuda`
   * or `webgpu`). Recorded in run.json's `executionProviders`, every one that wrote samples, in order; not a
   * setting a resume must keep (providers differ in float rounding only), but the report says it.
   */
  readonly executionProvider?: string;
  /**
   * False for a generator that does not sample (replies read from a file): the run's sampling settings do not
   * apply to it, so the runner says nothing about them (n > 1 at temperature 0). Default true.
   */
  readonly samples?: boolean;
  /**
   * True when the model's chat template writes the date into its prompts (calls `strftime_now`): the runner
   * then pins a day in run.json (`templateDate`) and passes it with every request. Default false.
   */
  readonly templateReadsDate?: boolean;
  /**
   * The model's chat template (Jinja source), when the generator renders prompts with one: ssb-eval warns about
   * a chat template kwarg it never names (a misspelt `enable_thinkng` changes nothing). Absent otherwise.
   */
  readonly chatTemplateSource?: string;
  /**
   * Throws, naming what is missing, when the generator cannot serve every sample the run needs (a replies file
   * without some of them). The runner calls it before anything is written, so a run that would stop midway never
   * locks its output folder to settings that cannot finish. Absent for generators that make any sample.
   */
  checkCoverage?(needs: readonly BenchmarkNeeds[], n: number): void;
  /** Yields exactly one sample per requested (problemId, sampleIndex), in any order. */
  generate(request: GenerationRequest): AsyncIterable<GeneratedSample>;
  close?(): Promise<void>;
}
