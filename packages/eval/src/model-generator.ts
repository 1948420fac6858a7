/**
 * Generation with a real model through @ssb/rollout (ONNX Runtime): an adapter from rollout's batched
 * `Generator` to eval's `SampleGenerator`, and `openModelGenerator`, which accepts
 *  - an ONNX decoder folder or file (anything rollout opens: an @ssb/model export, an ORT GenAI-style export), or
 *  - a Hugging Face checkpoint folder (config.json + safetensors), exported to ONNX first with @ssb/model —
 *    optionally with a PEFT LoRA adapter merged into the weights (an adapter cannot be applied to a finished
 *    ONNX graph, so it needs the checkpoint).
 * Rollout is imported lazily, so using eval's metrics or reports never loads ONNX Runtime.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { exportOnnx, loadTokenizer, parseTemplateDate } from "@ssb/model";
import type { FinishedSequence, GenerateOptions, PromptInput } from "@ssb/rollout";
import type { GeneratedSample, GenerationRequest, SampleGenerator } from "./generator.js";
import { formerModelIdFor, modelIdFor } from "./model-name.js";
import type { ModelIdentity } from "./run-manifest.js";

/** What the adapter needs of rollout's Generator (structural, so tests can pass a stand-in). */
export interface RolloutGeneratorLike {
  readonly modelId: string;
  /** Where it runs (rollout's Generator: `session.executionProvider`, the provider actually used). */
  readonly session?: { readonly executionProvider: string };
  /** Whether its chat template writes the date into the prompts (rollout's Generator.templateReadsDate). */
  readonly templateReadsDate?: boolean;
  /** The model's tokenizer (rollout's Generator.tokenizer): its chat template is the CLI's kwargs check. */
  readonly tokenizer?: { readonly chatTemplate: { readonly source: string } | null } | null;
  generate(prompts: Iterable<PromptInput>, options?: GenerateOptions): AsyncIterable<FinishedSequence>;
  /** A prompt's token ids as generate renders them (rollout's Generator); with maxContext, finds prompts too long. */
  encodePrompt?(input: PromptInput): number[];
  /** Positions the model takes (max_position_embeddings); 0 or absent: unknown. */
  readonly maxContext?: number;
  close(): Promise<void>;
}

export interface RolloutAdapterOptions {
  /** Most sequences decoded together (rollout's maxBatch; default 32). */
  maxBatch?: number;
  /** Extra stop strings (the model's end-of-turn / eos ids always stop). */
  stopStrings?: string[];
  /** Recorded model id (default: the generator's). */
  modelId?: string;
  /** Fingerprint of the weights, checked on resume (see SampleGenerator.fingerprint). */
  fingerprint?: string;
  /** What the fingerprint covers, in words (see SampleGenerator.fingerprintOf). */
  fingerprintOf?: string;
  /** Ids runs recorded for this model before (see SampleGenerator.formerModelIds). */
  formerModelIds?: readonly string[];
  /** Told once per request about prompts too long for the model's context. */
  warn?: (message: string) => void;
}

/** Wrap a rollout Generator as eval's SampleGenerator. */
export function fromRolloutGenerator(
  gen: RolloutGeneratorLike,
  options: RolloutAdapterOptions = {},
): SampleGenerator {
  const warned = new Set<string>(); // benchmarks told about prompts too long for the context
  return {
    modelId: options.modelId ?? gen.modelId,
    ...(gen.session !== undefined ? { executionProvider: gen.session.executionProvider } : {}),
    ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
    ...(options.fingerprintOf !== undefined ? { fingerprintOf: options.fingerprintOf } : {}),
    ...(options.formerModelIds !== undefined ? { formerModelIds: options.formerModelIds } : {}),
    ...(gen.templateReadsDate === true ? { templateReadsDate: true } : {}),
    ...(typeof gen.tokenizer?.chatTemplate?.source === "string"
      ? { chatTemplateSource: gen.tokenizer.chatTemplate.source }
      : {}),
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      // The run's pinned day, as the time the template's strftime_now reports (local noon of that day).
      const now =
        request.templateDate !== undefined
          ? parseTemplateDate(request.templateDate, "templateDate")
          : undefined;
      const kwargs = request.chatTemplateKwargs;
      // Rollout renders the messages with the model's chat template (generation prompt appended), the day and
      // the kwargs; a model without a tokenizer or template is refused there, naming its folder or file.
      const prompts: PromptInput[] = request.prompts.map((p) => ({
        id: p.problemId,
        messages: p.messages,
        sampleIndices: p.sampleIndices,
        ...(now !== undefined ? { now } : {}),
        ...(kwargs !== undefined ? { chatTemplateKwargs: kwargs } : {}),
      }));
      const s = request.sampling;
      const sampling: GenerateOptions["sampling"] = {
        temperature: s.temperature,
        topK: s.topK ?? 0,
        topP: s.topP ?? 1,
        maxNewTokens: s.maxNewTokens,
        // Rollout derives each (prompt, sample) stream from this seed, the prompt id and the sample index, so
        // samples do not depend on batching or on which samples a resumed run asks for.
        seed: request.seed,
      };
      if (s.minP !== undefined) sampling.minP = s.minP;
      if (s.repetitionPenalty !== undefined) sampling.repetitionPenalty = s.repetitionPenalty;
      if (options.stopStrings !== undefined) sampling.stopStrings = options.stopStrings;
      const generateOptions: GenerateOptions = { n: request.n, sampling };
      if (options.maxBatch !== undefined) generateOptions.maxBatch = options.maxBatch;
      // A question the model cannot read (prompt + one reply token past max_position_embeddings) cannot be
      // answered: its samples are empty replies cut at "length" (graded no-answer, counted as truncated), as
      // rollout's teacher adapter answers such a prompt. Rollout refuses the whole call for one such prompt, so
      // a run stopped there after its earlier samples, and every rerun stopped at the same prompt.
      const context = gen.maxContext ?? 0;
      const fitting: PromptInput[] = [];
      const tooLong: { prompt: PromptInput; tokens: number }[] = [];
      for (const prompt of prompts) {
        const tokens = context > 0 && gen.encodePrompt ? gen.encodePrompt(prompt).length : 0;
        if (tokens + 1 > context && context > 0) tooLong.push({ prompt, tokens });
        else fitting.push(prompt);
      }
      const first = tooLong[0];
      // Once per benchmark (runEval asks for a benchmark's prompts in several requests); the report's
      // truncation rate counts them all.
      if (first !== undefined && !warned.has(request.benchmark)) {
        warned.add(request.benchmark);
        options.warn?.(
          `warning: ${request.benchmark}: prompts that do not fit the model's context of ${context} positions with room for a reply (the first: "${first.prompt.id}", ${first.tokens} tokens) get empty replies cut at "length" (no answer, counted as truncated)`,
        );
      }
      for (const { prompt } of tooLong)
        for (const sampleIndex of prompt.sampleIndices ?? [])
          yield { problemId: prompt.id, sampleIndex, text: "", tokens: 0, finishReason: "length" };
      if (fitting.length === 0) return;
      for await (const seq of gen.generate(fitting, generateOptions)) {
        yield {
          problemId: seq.promptId,
          sampleIndex: seq.sampleIndex,
          text: seq.text,
          tokens: seq.tokenIds.length,
          finishReason: seq.finishReason,
        };
      }
    },
    close: () => gen.close(),
  };
}

export interface OpenModelOptions {
  /** ONNX decoder folder / file, or HF checkpoint folder. */
  model: string;
  /** PEFT LoRA adapter folder, merged into an HF checkpoint before export. */
  adapter?: string;
  /** Where an HF checkpoint is exported (reused on later runs when source and adapter match). Default: a
   * `onnx-export` folder inside `workDir`. */
  exportDir?: string;
  /** Folder for the default exportDir (e.g. the run's output folder). Default: the current directory. */
  workDir?: string;
  batchSize?: number;
  /** ONNX Runtime execution provider ("cpu" default, "cuda", "webgpu", "auto"). */
  executionProvider?: "cpu" | "cuda" | "webgpu" | "auto";
  /** Called with progress messages (export). */
  log?: (message: string) => void;
  /**
   * Called with the model's id and fingerprint (the generator's, known from the source files alone) before
   * anything is exported or loaded; throwing stops the open there. ssb-eval checks the run folder's run.json
   * with it, so a rerun it refuses (other weights, other settings) never re-exports over the earlier run's
   * export.
   */
  beforeOpen?: (model: ModelIdentity) => void | Promise<void>;
}

function isOnnx(model: string): boolean {
  if (!existsSync(model)) return false;
  if (statSync(model).isFile()) return model.endsWith(".onnx");
  return ["model.onnx", "decoder_model_merged.onnx", "decoder.onnx", "onnx/model.onnx"].some((f) =>
    existsSync(join(model, f)),
  );
}

function isCheckpoint(model: string): boolean {
  return (
    existsSync(join(model, "config.json")) &&
    (existsSync(join(model, "model.safetensors")) || existsSync(join(model, "model.safetensors.index.json")))
  );
}

/**
 * Why a model cannot render ssb-eval's prompts, or null when it can. Every question is a chat (system turn, user
 * turn) rendered with the model's own template, so a folder without tokenizer.json or without a chat template
 * fails on the first prompt; checked when the model is opened, before run.json pins the output folder to weights
 * that cannot run (fixing the folder then changes its fingerprint, and the rerun was refused as "other weights").
 */
function chatPromptProblem(
  tokenizer: { readonly chatTemplate: unknown } | null | undefined,
  model: string,
): string | null {
  if (tokenizer === null || tokenizer === undefined)
    return `${model}: no tokenizer.json: ssb-eval renders every question with the model's chat template, so it needs the model's tokenizer.json and tokenizer_config.json beside its weights (nothing was written)`;
  if (tokenizer.chatTemplate === null)
    return `${model}: the tokenizer has no chat template ("chat_template" in tokenizer_config.json, or chat_template.jinja): ssb-eval renders every question with it, so a base model without one cannot be evaluated as it is; add the template its replies were trained on (nothing was written)`;
  return null;
}

/** Files that decide what a model folder generates: weights, graphs, configs, tokenizer. */
const MODEL_FILE =
  /^(.*\.safetensors|.*\.onnx|.*\.onnx\.data|.*\.onnx_data|model\.safetensors\.index\.json|config\.json|generation_config\.json|genai_config\.json|adapter_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|chat_template\.(json|jinja)|vocab\.json|merges\.txt)$/;

/**
 * The weight, config and tokenizer files of a model folder (checkpoint, adapter or ONNX export; a single ONNX
 * file counts alone), with size and modification time. Other files (a training log, measured numbers written
 * beside the weights) do not count: rewriting them changes nothing the model does.
 */
function exportInputs(path: string): string[] {
  const entry = (dir: string, f: string) => {
    const st = statSync(join(dir, f));
    return `${f}:${st.size}:${st.mtimeMs}`;
  };
  if (!statSync(path).isDirectory()) return [entry(dirname(path), basename(path))];
  return readdirSync(path)
    .filter((f) => MODEL_FILE.test(f))
    .sort()
    .map((f) => entry(path, f));
}

/** Open a model for evaluation; see the module comment for what `model` may be. */
export async function openModelGenerator(options: OpenModelOptions): Promise<SampleGenerator> {
  const model = resolve(options.model);
  const adapter = options.adapter === undefined ? undefined : resolve(options.adapter);
  let onnxPath = model;
  // `runs/ssb/model` is "ssb/model", not "model" (model-name.ts); runs begun under the old id resume under it.
  const modelId = modelIdFor(model, adapter);
  const former = formerModelIdFor(model, adapter);
  const formerModelIds = former === modelId ? [] : [former];
  const needsExport = !isOnnx(model) || adapter !== undefined;
  if (needsExport && !isCheckpoint(model)) {
    throw new Error(
      adapter !== undefined
        ? `${model}: --adapter needs a Hugging Face checkpoint folder (config.json + safetensors) to merge into`
        : `${model}: neither an ONNX decoder (model.onnx) nor a Hugging Face checkpoint (config.json + safetensors)`,
    );
  }
  if (needsExport) {
    // Before the export (minutes for a large checkpoint), which copies the tokenizer files as they are.
    const tokenizer = existsSync(join(model, "tokenizer.json")) ? await loadTokenizer(model) : null;
    const problem = chatPromptProblem(tokenizer, model);
    if (problem !== null) throw new Error(problem);
  }
  // The model's files with sizes and times: the export stamp and the fingerprint checked on resume.
  const sourceFiles = [model, ...(adapter !== undefined ? [adapter] : [])].map(
    (p) => [p, exportInputs(p)] as const,
  );
  // From the source files only, never from the export: known (and checked) before anything is written.
  const fingerprint = createHash("sha256").update(JSON.stringify(sourceFiles)).digest("hex").slice(0, 16);
  const fingerprintOf = `the model files (weights, config, tokenizer) of ${model}${adapter !== undefined ? ` and ${adapter}` : ""}`;
  await options.beforeOpen?.({ modelId, fingerprint, fingerprintOf, formerModelIds });
  if (needsExport) {
    const exportDir = resolve(options.exportDir ?? join(options.workDir ?? ".", "onnx-export"));
    const stampFile = join(exportDir, "ssb-eval-export.json");
    // The stamp names the files the export is made from, with their sizes and times: a retrained or replaced
    // checkpoint at the same path must be exported again, never served from a stale export.
    const stamp = JSON.stringify({
      model,
      adapter: adapter ?? null,
      files: sourceFiles.flatMap(([, files]) => files),
    });
    if (
      existsSync(stampFile) &&
      readFileSync(stampFile, "utf8") === stamp &&
      existsSync(join(exportDir, "model.onnx"))
    ) {
      options.log?.(`reusing ONNX export in ${exportDir}`);
    } else {
      options.log?.(`exporting ${model}${adapter ? ` + ${adapter}` : ""} to ONNX in ${exportDir}`);
      await mkdir(exportDir, { recursive: true });
      // The old stamp goes first: an export that dies or fails half way must not leave the folder looking
      // like the finished export of whatever the stamp named (a later run would then reuse it).
      rmSync(stampFile, { force: true });
      await exportOnnx({
        modelDir: model,
        outDir: exportDir,
        ...(adapter !== undefined ? { adapterDir: adapter } : {}),
      });
      const tmp = `${stampFile}.tmp-${process.pid}`;
      writeFileSync(tmp, stamp);
      renameSync(tmp, stampFile);
    }
    onnxPath = exportDir;
  }
  const { Generator } = await import("@ssb/rollout");
  const gen = await Generator.load(onnxPath, {
    modelId,
    ...(options.executionProvider !== undefined ? { executionProvider: options.executionProvider } : {}),
  });
  const problem = chatPromptProblem(gen.tokenizer, model);
  if (problem !== null) {
    await gen.close();
    throw new Error(problem);
  }
  options.log?.(`${modelId}: generating with onnxruntime on ${gen.session.executionProvider}`);
  return fromRolloutGenerator(gen, {
    modelId,
    fingerprint,
    fingerprintOf,
    formerModelIds,
    ...(options.log !== undefined ? { warn: options.log } : {}),
    ...(options.batchSize !== undefined ? { maxBatch: options.batchSize } : {}),
  });
}
