/**
 * Everything between files and the trainer: pick a backend, open the base checkpoint (@ssb/model), read pairs
 * and the logit store, build the student, train, and copy the files a full-parameter model folder needs.
 */

import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { openLogitStore } from "@ssb/logit-store";
import {
  checkpointFingerprint,
  loadCheckpoint,
  type ModelTokenizer,
  templateReadsDate,
  unusedChatTemplateKwargs,
} from "@ssb/model";
import { type BackendPreference, selectBackend } from "./backend.js";
import { chooseChatTemplateKwargs } from "./chat-template-kwargs.js";
import { checkLoraRank, loraConfigFrom } from "./lora.js";
import { type DecoderModel, disposeDecoder, loadDecoder } from "./model.js";
import { claimTrainFolder } from "./output-folder.js";
import { loadPairExamples, loadSftExamples, type PromptTokenOptions } from "./pairs-data.js";
import { chooseTemplateDate } from "./template-date.js";
import type { TrainerState } from "./train-checkpoint.js";
import type { TrainConfig } from "./train-config.js";
import { checkRunFolder, type TrainOptions, type TrainResult, trainInClaimedFolder } from "./trainer.js";
import type { TrainingExample } from "./training-example.js";

export interface RunTrainingOptions {
  /** Base model folder (HF layout: config.json, safetensors, tokenizer.json). */
  modelDir: string;
  /** pairs.jsonl from @ssb/curation (KD and SFT), or SFT records ({text} / {promptTokenIds, responseTokenIds}). */
  dataFile: string;
  /** The logit store with the teacher's top-k rows (KD only). */
  logitsDir?: string | null;
  outDir: string;
  config: TrainConfig;
  resume?: boolean;
  backend?: BackendPreference;
  log?: (line: string) => void;
  progress?: boolean;
  /** Stops training at the next step boundary, after a checkpoint (see TrainOptions.signal). */
  signal?: AbortSignal;
  /** Called after every optimizer step. */
  onStep?: TrainOptions["onStep"];
  /** Where `config` came from (the --config file, or "command line"), named in errors about its fields. */
  configSource?: string;
  /**
   * Log a warning when the run's chatTemplateKwargs name a variable the model's chat template never reads (a
   * misspelt `enable_thinkng` changes nothing), or when raw prompts leave them unused. The CLI sets it; off by
   * default (the library does not warn).
   */
  warnUnusedChatTemplateKwargs?: boolean;
}

/**
 * Fingerprints of what a run trains on, stored in its checkpoints so a resume with other inputs is refused:
 * the base model (config and weight files: sizes and first and last MiB), the data file and the logit
 * store's manifest (their contents). Exported for tests.
 */
export function trainingInputs(
  options: Pick<RunTrainingOptions, "modelDir" | "dataFile" | "logitsDir">,
): Record<string, string> {
  const inputs: Record<string, string> = {
    model: checkpointFingerprint(options.modelDir),
    data: fileSha256(options.dataFile),
  };
  const manifest = options.logitsDir ? path.join(options.logitsDir, "manifest.json") : null;
  if (manifest && existsSync(manifest)) inputs.logits = fileSha256(manifest);
  return inputs;
}

/**
 * The first 32 hex digits of a file's SHA-256, read in 8 MiB chunks: readFileSync refuses a file over 2 GiB
 * (ERR_FS_FILE_TOO_LARGE), which stopped runTraining on a pairs file the loader reads in chunks. The digest
 * is the whole file's, as before, so recorded fingerprints still match.
 */
function fileSha256(file: string): string {
  const hash = createHash("sha256");
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.allocUnsafe(8 << 20);
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex").slice(0, 32);
}

const MODEL_COMPANIONS = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "chat_template.jinja",
];

/**
 * Refuse an output folder whose `adapter/` or `model/` (what a run writes at its end) is the base model folder
 * itself: a fresh start there took the base model for a finished run's output and said to remove it.
 */
function checkBaseModelNotOutput(modelDir: string, outDir: string): void {
  const base = path.resolve(modelDir);
  for (const name of ["adapter", "model"]) {
    if (path.resolve(outDir, name) !== base) continue;
    throw new Error(
      `${path.join(outDir, name)} is the base model this run reads (modelDir ${modelDir}), and a run in ${outDir} writes its ${name}/ there: use another output folder`,
    );
  }
}

export async function runTraining(options: RunTrainingOptions): Promise<TrainResult> {
  checkBaseModelNotOutput(options.modelDir, options.outDir);
  // The output folder is claimed first: a folder another run holds, a path that is a file or cannot be
  // written, checkpoints without `resume` or a resume with other settings are said before the model and data
  // are read (on a real model that took minutes and gigabytes). Every failure after it releases the claim.
  const release = claimTrainFolder(options.outDir);
  try {
    // The inputs' fingerprints read the model files' edges and the data file, not the model: a resume on
    // another model, data file or logit store is refused here too. One that cannot be read is left to the
    // loaders below, whose errors name the flag or the line.
    let inputs: Record<string, string> | null = null;
    try {
      inputs = trainingInputs(options);
    } catch {
      inputs = null;
    }
    const existing = await checkRunFolder(
      options.outDir,
      options.resume ?? false,
      options.config,
      null,
      inputs ?? undefined,
    );
    return await trainClaimed(options, inputs, existing);
  } finally {
    release();
  }
}

/**
 * How this run tokenises its prompts: the day its chat template renders (pinned in the config, see
 * template-date.ts), the template variables it renders with (chatTemplateKwargs: the given ones, else a resumed
 * checkpoint's; other ones than the checkpoint's are refused, see chat-template-kwargs.ts) and whether raw prompts and `{text}` records get the tokenizer's special tokens (BOS).
 * Those had none before; where that changes the ids (Llama), `inputs.textTokens` records which way a run
 * tokenises ("special" or "plain"), and a resume of a checkpoint saved before it was recorded keeps "plain", with
 * a note, rather than training its remaining steps on other ids than its first ones.
 */
export function runPromptSettings(
  config: TrainConfig,
  tokenizer: ModelTokenizer | null,
  resumed: { dir: string; state: TrainerState } | null,
  where: string,
  today?: Date,
): {
  config: TrainConfig;
  tokens: PromptTokenOptions;
  textTokens: "special" | "plain" | null;
  notes: string[];
} {
  const notes: string[] = [];
  const date = chooseTemplateDate({
    given: config.templateDate,
    readsDate: config.promptMode === "chat" && templateReadsDate(tokenizer?.chatTemplate?.source),
    resumed: resumed ? { dir: resumed.dir, templateDate: resumed.state.config.templateDate } : null,
    where: `${where}: field "templateDate"`,
    ...(today ? { today } : {}),
  });
  if (date.note !== null) notes.push(date.note);
  const kwargs = chooseChatTemplateKwargs({
    given: config.chatTemplateKwargs,
    resumed: resumed ? { dir: resumed.dir, kwargs: resumed.state.config.chatTemplateKwargs } : null,
  });
  const sample = "a";
  const addsTokens =
    tokenizer !== null &&
    (config.promptMode === "raw" || config.mode === "sft") &&
    tokenizer.encode(sample, { addSpecialTokens: true }).join() !== tokenizer.encode(sample).join();
  let textTokens: "special" | "plain" | null = null;
  if (addsTokens) {
    const recorded = resumed?.state.inputs?.textTokens;
    textTokens = recorded === "plain" || recorded === "special" ? recorded : resumed ? "plain" : "special";
    if (resumed && recorded === undefined)
      notes.push(
        `note: ${resumed.dir} was saved before raw prompts and {text} records began with the tokenizer's special tokens (BOS); this resume keeps the run's tokenization without them (a new run adds them)`,
      );
  }
  let chosen = date.templateDate === undefined ? config : { ...config, templateDate: date.templateDate };
  if (kwargs !== chosen.chatTemplateKwargs) {
    const { chatTemplateKwargs: _k, ...rest } = chosen;
    chosen = kwargs === undefined ? rest : { ...rest, chatTemplateKwargs: kwargs };
  }
  return {
    config: chosen,
    tokens: {
      ...(date.now ? { now: date.now } : {}),
      ...(kwargs !== undefined && config.promptMode === "chat" ? { chatTemplateKwargs: kwargs } : {}),
      ...(textTokens === "plain" ? { addSpecialTokens: false } : {}),
    },
    textTokens,
    notes,
  };
}

/** The name Qwen3's template reads to turn thinking off, the kwarg most often given. */
const QWEN3_THINKING_KWARG = "enable_thinking";

/**
 * A warning for kwargs that change no prompt (null: none): names the chat template never reads (transformers
 * ignores them silently, so a misspelt `enable_thinkng` would leave Qwen3 thinking), or any at all when the
 * prompts are raw text, which does not go through the template.
 */
export function unusedKwargsWarning(
  config: TrainConfig,
  tokenizer: ModelTokenizer | null,
  modelDir: string,
): string | null {
  const kwargs = config.chatTemplateKwargs;
  // `{}` (none, said explicitly) passes no variable: nothing to warn about.
  if (kwargs === undefined || Object.keys(kwargs).length === 0) return null;
  if (config.promptMode === "raw")
    return `warning: chatTemplateKwargs ${JSON.stringify(kwargs)} are not used: raw prompts (promptMode "raw") do not go through the chat template`;
  const source = tokenizer?.chatTemplate?.source;
  if (source === undefined) return null;
  const unused = unusedChatTemplateKwargs(source, kwargs);
  if (unused.length === 0) return null;
  const one = unused.length === 1;
  // Qwen3's name given to another model's template is spelt right: that template simply has no such variable,
  // and "check the spelling (Qwen3's is enable_thinking)" would point at a mistake that is not there.
  const maybeMisspelt = unused.filter((name) => name !== QWEN3_THINKING_KWARG);
  const spelling =
    maybeMisspelt.length === 0
      ? ""
      : `; check the spelling of ${maybeMisspelt.map((name) => JSON.stringify(name)).join(", ")}${unused.includes(QWEN3_THINKING_KWARG) ? "" : ` (Qwen3's is "${QWEN3_THINKING_KWARG}")`}`;
  return `warning: ${modelDir}'s chat template never reads ${unused.map((name) => JSON.stringify(name)).join(", ")} (chatTemplateKwargs): this model's template has no such variable${one ? "" : "s"}, so ${one ? "it changes" : "they change"} no prompt${spelling}`;
}

async function trainClaimed(
  options: RunTrainingOptions,
  runInputs: Record<string, string> | null,
  existing: { dir: string; state: TrainerState } | null,
): Promise<TrainResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { provider } = await selectBackend(options.backend ?? "auto", log);
  const checkpoint = await loadCheckpoint(options.modelDir, { tokenizer: true });
  const tokenizer = checkpoint.tokenizer;
  const prompts = runPromptSettings(
    options.config,
    tokenizer,
    existing,
    options.configSource ?? "train config",
  );
  for (const note of prompts.notes) log(`[distill] ${note}`);
  const { config } = prompts;
  if (options.warnUnusedChatTemplateKwargs) {
    const warning = unusedKwargsWarning(config, tokenizer, options.modelDir);
    if (warning !== null) log(`[distill] ${warning}`);
  }
  let inputs = runInputs;
  if (prompts.textTokens !== null)
    inputs = { ...(runInputs ?? trainingInputs(options)), textTokens: prompts.textTokens };
  // Every token id of the data is checked against this before training: see pairs-data.ts.
  const { vocabSize } = checkpoint.config;
  let examples: TrainingExample[];
  let model: DecoderModel;
  try {
    // A rank the model's projections cannot hold is refused before any LoRA tensor is allocated (a huge r
    // otherwise aborts the wasm heap).
    if (config.trainable === "lora")
      checkLoraRank(checkpoint.config, loraConfigFrom(config.lora), options.configSource ?? "train config");
    if (config.mode === "kd") {
      if (!options.logitsDir) throw new Error("KD training needs a logit store (--logits DIR)");
      if (!tokenizer) throw new Error(`${options.modelDir}: no tokenizer`);
      const store = await openLogitStore(options.logitsDir);
      // The teacher's ids must mean the student's tokens. Stores written by this project record the
      // tokenizer's fingerprint (@ssb/model's, 64 hex digits): another one is another tokenizer. Other
      // writers' hashes cannot be compared, which is said rather than ignored.
      const hash = store.meta.tokenizerHash;
      const ours = tokenizer.fingerprint();
      if (/^[0-9a-f]{64}$/.test(hash) && hash !== ours) {
        store.close();
        throw new Error(
          `${options.logitsDir}: the teacher's logits were captured with another tokenizer (${hash}) than ${options.modelDir}'s (${ours})`,
        );
      }
      if (hash !== ours && hash !== "none")
        log(
          `[distill] note: ${options.logitsDir} names its tokenizer "${hash}"; not checked against the student's`,
        );
      if (store.meta.vocabSize > checkpoint.config.vocabSize) {
        throw new Error(
          `${options.logitsDir}: the teacher's vocabulary (${store.meta.vocabSize}) is larger than the student's (${checkpoint.config.vocabSize})`,
        );
      }
      examples = await loadPairExamples(options.dataFile, {
        tokenizer,
        promptMode: config.promptMode,
        store,
        vocabSize,
        ...prompts.tokens,
      });
      store.close();
    } else {
      examples = await loadSftExamples(
        options.dataFile,
        tokenizer,
        config.promptMode,
        vocabSize,
        prompts.tokens,
      );
    }
    model = await loadDecoder(
      checkpoint.config,
      (name) => checkpoint.weights.readFloat32(name),
      (name) => checkpoint.weights.has(name),
      config.trainable,
    );
  } finally {
    await checkpoint.close();
  }
  try {
    const result = await trainInClaimedFolder({
      model,
      examples,
      config,
      outDir: options.outDir,
      resume: options.resume ?? false,
      baseModelName: options.modelDir,
      padId: tokenizer?.padTokenId ?? checkpoint.config.padTokenId ?? checkpoint.config.eosTokenIds[0] ?? 0,
      log,
      progress: options.progress ?? true,
      modelSource: { kind: "checkpoint", dir: options.modelDir },
      inputs: inputs ?? trainingInputs(options),
      backend: provider,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    if (config.trainable === "full" && !result.interrupted) {
      for (const name of MODEL_COMPANIONS) {
        const from = path.join(options.modelDir, name);
        if (existsSync(from)) await copyFile(from, path.join(result.savedTo, name));
      }
    }
    return result;
  } finally {
    disposeDecoder(model);
  }
}
