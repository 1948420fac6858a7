/**
 * The training loop: planned steps (seeded, length-bucketed, accumulated), forward + loss + gradients per
 * micro-batch, global-norm clipping, AdamW, learning-rate schedule, a non-finite guard, metrics, progress,
 * periodic checkpoints and exact resume (the plan, dropout seeds and optimizer state are all recomputed or
 * restored, so a resumed run continues the same trajectory).
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { chatTemplateKwargsKey, type LoraConfig } from "@ssb/model";
import { AdamW, globalNorm } from "./adamw.js";
import { activeBackendName } from "./backend.js";
import { backendChangeNote, storedBackendSpans, withBackendSpan } from "./backend-record.js";
import { chooseBaseModelName } from "./base-model-name.js";
import { BASE_WEIGHTS_INPUT, baseWeightsFingerprint } from "./base-weights-fingerprint.js";
import { planSteps } from "./batching.js";
import { chatTemplateKwargsConflict } from "./chat-template-kwargs.js";
import { DataParallelPool, type ModelSource, parallelGradients } from "./data-parallel.js";
import { EXAMPLES_INPUT, examplesFingerprint } from "./examples-fingerprint.js";
import { CorruptGradientError, createGradientGuard } from "./gradient-guard.js";
import { initLora, loraConfigFrom, loraLayersMismatch } from "./lora.js";
import {
  appendMetrics,
  describeTruncation,
  lossCurveSvg,
  readMetrics,
  type StepMetrics,
  truncateMetrics,
} from "./metrics.js";
import { type DecoderModel, trainableVariables, weightDecayMask } from "./model.js";
import { claimTrainFolder, freshStartConflict } from "./output-folder.js";
import { createProgress } from "./progress.js";
import { saveFullModel, saveLoraAdapter } from "./save-model.js";
import { learningRate, warmupStepsFor } from "./schedule.js";
import { settingDifferences } from "./setting-differences.js";
import { tf } from "./tf.js";
import {
  latestCheckpoint,
  pruneCheckpoints,
  restoreTrainingCheckpoint,
  saveTrainingCheckpoint,
  TRAINER_STATE_FILE,
  type TrainerState,
} from "./train-checkpoint.js";
import type { TrainConfig } from "./train-config.js";
import { stepGradients, stepRowWeights } from "./train-step.js";
import { checkExampleVocab, type TrainingExample, truncateExample } from "./training-example.js";
import { isWasmAbort, largestMicroBatch, wasmAbortError, wasmHeapWarning } from "./wasm-heap.js";

export interface TrainOptions {
  model: DecoderModel;
  examples: TrainingExample[];
  config: TrainConfig;
  /** Output folder: checkpoints/, metrics.jsonl, loss.svg, adapter/ (LoRA) or model/ (full). */
  outDir: string;
  /** Continue from the newest checkpoint in outDir (a fresh start when there is none). */
  resume?: boolean;
  /**
   * Written into adapter_config.json as base_model_name_or_path. A resume without it (or null) keeps the name
   * the checkpoint's adapter records; another name is recorded from then on, with a note in the log (see
   * base-model-name.ts).
   */
  baseModelName?: string | null;
  /** Token id used for right padding (any valid id: pads are never attended to by real tokens). */
  padId?: number;
  /** Lines of status (default stderr). */
  log?: (line: string) => void;
  /** Draw a progress bar on stderr (default true). */
  progress?: boolean;
  /** Where data-parallel workers load the base model from (needed when config.workers > 1). */
  modelSource?: ModelSource;
  /** Called after every optimizer step (tests, custom logging). */
  onStep?: (metrics: StepMetrics) => void;
  /**
   * Fingerprints of what this run trains on (base model, data, teacher logits: see runTraining), stored in
   * each checkpoint; a resume with other inputs is refused. A resume without some (or all) keeps recording the
   * checkpoint's. train() adds `examples` and `baseWeights`, fingerprints of `examples` and of `model`'s base
   * weights (see examples-fingerprint.ts, base-weights-fingerprint.ts), so edited examples or another base
   * model are refused on resume even without these.
   */
  inputs?: Record<string, string>;
  /** Stops training at the next step boundary, after saving a checkpoint there (Ctrl-C); see `interrupted`. */
  signal?: AbortSignal;
  /**
   * The backend this run trains on, recorded with the steps it trains in each checkpoint (`backends`); a resume
   * on another one is logged. Default: the package of the active one as selectBackend chose it (`tfjs-node`,
   * `wasm`, ...: the name runTraining records), or tfjs' own name when the backend was set by other means.
   */
  backend?: string;
}

export interface TrainResult {
  /** Optimizer steps completed (including those before a resume). */
  steps: number;
  totalSteps: number;
  resumedFrom: number | null;
  lastLoss: number;
  /** Final adapter (LoRA) or model (full) folder. */
  savedTo: string;
  metricsFile: string;
  plotFile: string;
  /** True when `signal` stopped the run: a checkpoint holds its last step, and no adapter was written. */
  interrupted: boolean;
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly lastCheckpoint: string | null,
  ) {
    super(
      `non-finite loss or gradient at step ${step + 1}; training stopped${lastCheckpoint ? `, last good checkpoint: ${lastCheckpoint}` : " (no checkpoint yet)"}`,
    );
  }
}

/** Settings that change the trajectory; a resume must match them. */
function trajectorySettings(config: TrainConfig): Record<string, unknown> {
  // The worker count changes only the summation order of gradients, not the trajectory's definition.
  // maxSteps counts through the schedule's length (totalSteps), compared on its own.
  const { checkpointEvery: _c, keepCheckpoints: _k, maxSteps: _m, workers: _w, ...rest } = config;
  return rest;
}

/**
 * Why a checkpoint cannot be resumed with these settings and inputs (each difference named), or null.
 * `totalSteps` is the learning-rate schedule's length: a different maxSteps (or data) changes it.
 */
function resumeMismatch(
  state: TrainerState,
  config: TrainConfig,
  totalSteps: number | null,
  inputs: Record<string, string> | undefined,
): string | null {
  // templateDate is compared only when both have one: a checkpoint saved before it was recorded has none, and
  // runTraining's early check runs before the day is pinned (see template-date.ts).
  const both = state.config.templateDate !== undefined && config.templateDate !== undefined;
  // chatTemplateKwargs are compared on their own: key order aside, and none given keeps the checkpoint's
  // (see chat-template-kwargs.ts).
  const withoutDate = ({ templateDate: _d, ...rest }: TrainConfig): TrainConfig => rest;
  const compared = ({ chatTemplateKwargs: _k, ...rest }: TrainConfig): TrainConfig =>
    both ? rest : withoutDate(rest);
  const diffs = settingDifferences(
    trajectorySettings(compared(state.config)),
    trajectorySettings(compared(config)),
  );
  const kwargs = chatTemplateKwargsConflict(state.config.chatTemplateKwargs, config.chatTemplateKwargs);
  if (kwargs !== null) diffs.push(kwargs);
  if (totalSteps !== null && state.totalSteps !== totalSteps)
    diffs.push(`steps in the schedule (maxSteps, or the data): ${state.totalSteps} -> ${totalSteps}`);
  for (const [key, value] of Object.entries(inputs ?? {})) {
    const before = state.inputs?.[key];
    if (before === undefined || before === value) continue;
    diffs.push(
      key === EXAMPLES_INPUT
        ? `${key}: other training examples than the checkpoint's (their ids, tokens, teacher rows or order)`
        : key === BASE_WEIGHTS_INPUT
          ? `${key}: another base model than the checkpoint's (its weights differ)`
          : `${key}: another file than the checkpoint's`,
    );
  }
  return diffs.length > 0 ? diffs.join("; ") : null;
}

/**
 * The config a run's checkpoints record: `config`, plus what a resumed checkpoint recorded that `config` leaves
 * unset. A resume given no chat template kwargs or no templateDate renders the checkpoint's (runTraining passes
 * them in; a caller of train() rendered its own examples and was checked against them by resumeMismatch), so
 * its checkpoints keep recording them: dropped, a later resume would render none, or pin another day. Kwargs
 * `{}` (none, said explicitly) are not recorded, so such a run saves the config a run without them saves.
 */
function recordedRunConfig(config: TrainConfig, saved: TrainConfig | undefined): TrainConfig {
  let recorded = config;
  if (config.chatTemplateKwargs !== undefined && chatTemplateKwargsKey(config.chatTemplateKwargs) === "") {
    const { chatTemplateKwargs: _none, ...rest } = config;
    recorded = rest;
  }
  if (saved === undefined) return recorded;
  // `{}` given against recorded kwargs was refused (resumeMismatch); here it can only meet none.
  if (config.chatTemplateKwargs === undefined && chatTemplateKwargsKey(saved.chatTemplateKwargs) !== "")
    recorded = { ...recorded, chatTemplateKwargs: saved.chatTemplateKwargs };
  if (config.templateDate === undefined && saved.templateDate !== undefined)
    recorded = { ...recorded, templateDate: saved.templateDate };
  return recorded;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  // One run per output folder: two would write each other's checkpoints and metrics.
  const release = claimTrainFolder(options.outDir);
  try {
    return await trainInClaimedFolder(options);
  } finally {
    release();
  }
}

/**
 * Why `outDir` cannot take this run, thrown as an error (or nothing): checkpoints there without `resume`, a
 * resume with other trajectory settings or inputs (the schedule's length too, once `totalSteps` is known), or,
 * with no checkpoint, a folder a fresh start must not empty. runTraining calls it right after its claim, with
 * the settings alone, so a refused folder is said before the model is loaded; train() again with everything.
 */
export async function checkRunFolder(
  outDir: string,
  resume: boolean,
  config: TrainConfig,
  totalSteps: number | null,
  inputs: Record<string, string> | undefined,
): Promise<{ dir: string; state: TrainerState } | null> {
  const existing = await latestCheckpoint(path.join(outDir, "checkpoints"));
  if (existing && !resume) {
    throw new Error(
      `${outDir} already holds checkpoints (newest: ${existing.dir}); resume it (--resume, or resume: true from code) or use another output folder`,
    );
  }
  if (existing) {
    const mismatch = resumeMismatch(existing.state, config, totalSteps, inputs);
    if (mismatch !== null) {
      throw new Error(
        `${path.join(existing.dir, TRAINER_STATE_FILE)}: saved with other settings or inputs than now (${mismatch}); refusing to resume`,
      );
    }
    return existing;
  }
  const conflict = freshStartConflict(outDir, ["adapter", "model"], "tokensPerSec");
  if (conflict !== null) throw new Error(conflict);
  return null;
}

/** train() for a caller that holds the folder's claim already (runTraining takes it before loading anything). */
export async function trainInClaimedFolder(given: TrainOptions): Promise<TrainResult> {
  // The examples and the base model's weights are fingerprinted with the caller's inputs, so a resume on edited
  // examples or another base model is refused (and every checkpoint records them) even when the caller gives
  // no inputs: see examples-fingerprint.ts and base-weights-fingerprint.ts.
  const options: TrainOptions = {
    ...given,
    inputs: {
      ...given.inputs,
      [EXAMPLES_INPUT]: examplesFingerprint(given.examples),
      [BASE_WEIGHTS_INPUT]: baseWeightsFingerprint(given.model),
    },
  };
  const { model, config, outDir } = options;
  const examples =
    config.maxLength > 0
      ? options.examples.map((e) => truncateExample(e, config.maxLength))
      : options.examples;
  if (config.mode === "kd" && examples.some((e) => !e.teacher))
    throw new Error("KD mode needs teacher top-k rows for every example");
  for (const example of examples) checkExampleVocab(example, model.config.vocabSize);
  await mkdir(outDir, { recursive: true });

  const plan = planSteps(
    examples.map((e) => e.inputIds.length),
    { ...config, bucketByLength: config.bucketByLength },
  );
  const totalSteps = config.maxSteps > 0 ? Math.min(config.maxSteps, plan.length) : plan.length;
  const warmupSteps = warmupStepsFor(totalSteps, config.optimizer.warmupSteps, config.optimizer.warmupRatio);
  // Refused (checkpoints without resume, other settings, inputs or schedule length) before the LoRA and the
  // optimizer's moments are allocated.
  const existing = await checkRunFolder(outDir, options.resume ?? false, config, totalSteps, options.inputs);

  let loraConfig: LoraConfig | null = null;
  if (model.trainable === "lora") {
    // The name the first session recorded is kept by a resume given none (it saved null before).
    const base = await chooseBaseModelName(options.baseModelName, existing?.dir ?? null);
    if (base.note !== null) logOf(options)(`[distill] ${base.note}`);
    loraConfig = loraConfigFrom(config.lora, base.name);
    if (model.lora.size === 0) model.lora = initLora(model.config, loraConfig, config.seed);
    else {
      // An adapter loaded to continue from: it is saved with config.lora, so the two must agree.
      const mismatch = loraLayersMismatch(model.config, model.lora, loraConfig);
      if (mismatch !== null)
        throw new Error(
          `the model's LoRA layers do not match the config (${mismatch}); the adapter would be saved with settings it was not trained with: give lora settings equal to the adapter's`,
        );
      for (const layer of model.lora.values()) layer.dropout = loraConfig.loraDropout;
    }
  }
  const vars = trainableVariables(model);
  const optimizer = new AdamW(vars, config.optimizer, weightDecayMask(model));
  // Its moments (twice the trainable weights: the whole model's size twice over in full-parameter training)
  // are freed however the run ends: a damaged metrics file on resume, a worker that fails to start, an error
  // mid-step.
  try {
    return await trainWith(options, {
      examples,
      plan,
      totalSteps,
      warmupSteps,
      existing,
      loraConfig,
      vars,
      optimizer,
    });
  } finally {
    optimizer.dispose();
  }
}

interface TrainParts {
  examples: TrainingExample[];
  plan: ReturnType<typeof planSteps>;
  totalSteps: number;
  warmupSteps: number;
  existing: { dir: string; state: TrainerState } | null;
  loraConfig: LoraConfig | null;
  vars: tf.Variable[];
  optimizer: AdamW;
}

/** The caller's log, or lines on stderr. */
function logOf(options: TrainOptions): (line: string) => void {
  return options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
}

async function trainWith(options: TrainOptions, parts: TrainParts): Promise<TrainResult> {
  const { model, config, outDir } = options;
  const log = logOf(options);
  const { examples, plan, totalSteps, warmupSteps, existing, loraConfig, vars, optimizer } = parts;
  const checkpointsDir = path.join(outDir, "checkpoints");
  const metricsFile = path.join(outDir, "metrics.jsonl");
  const plotFile = path.join(outDir, "loss.svg");
  const mainBackend = options.backend ?? activeBackendName();
  // Data-parallel worker threads always train on wasm: a main thread on another backend makes a mixed run.
  const backend =
    config.workers > 1 && mainBackend !== "wasm"
      ? `${mainBackend} + ${config.workers - 1} wasm worker${config.workers > 2 ? "s" : ""}`
      : mainBackend;
  let startStep = 0;
  let resumedFrom: number | null = null;
  let elapsedBefore = 0;
  if (existing) {
    await restoreTrainingCheckpoint(existing.dir, model, optimizer);
    startStep = existing.state.step;
    resumedFrom = startStep;
    const cut = truncateMetrics(metricsFile, startStep);
    // The run's wall time goes on from the kept records' (as GRPO's does), not from 0 again.
    const lastElapsed = cut.last?.elapsedSec;
    elapsedBefore = typeof lastElapsed === "number" ? lastElapsed : 0;
    log(`[distill] resumed from ${existing.dir} (step ${startStep}/${totalSteps})`);
    const note = backendChangeNote(storedBackendSpans(existing.state.backends), backend, "step");
    if (note !== null) log(`[distill] ${note}`);
    for (const line of describeTruncation(metricsFile, startStep, cut)) log(`[distill] ${line}`);
  } else if (existsSync(metricsFile)) {
    await writeFile(metricsFile, "");
  }

  const paramCount = vars.reduce((s, v) => s + v.size, 0);
  log(
    `[distill] ${config.mode} | ${model.trainable === "lora" ? `LoRA r=${config.lora.r} alpha=${config.lora.alpha} on ${model.lora.size} modules` : "full-parameter"} | ${paramCount.toLocaleString("en-US")} trainable parameters | ${examples.length} examples | ${totalSteps} steps`,
  );

  const lengths = examples.map((e) => e.inputIds.length);
  if (tf.getBackend() === "wasm") {
    const warning = wasmHeapWarning(
      model.config,
      largestMicroBatch(plan.slice(startStep, totalSteps), lengths, config.workers),
      model.trainable === "lora" ? "lora" : "full",
      config.lora.r,
    );
    if (warning) log(warning);
  }

  let pool: DataParallelPool | null = null;
  if (config.workers > 1) {
    if (!options.modelSource)
      throw new Error("config.workers > 1 needs options.modelSource (where workers load the model)");
    pool = await DataParallelPool.start(config.workers - 1, {
      source: options.modelSource,
      config,
      examples,
      padId: options.padId ?? 0,
    });
    log(`[distill] data parallel: ${config.workers} threads`);
  }
  const progress =
    options.progress === false ? null : createProgress(totalSteps, process.stderr, 10, startStep);
  const started = Date.now();
  let lastLoss = Number.NaN;
  let lastCheckpoint: string | null = existing ? existing.dir : null;
  const recordedConfig = recordedRunConfig(config, existing?.state.config);
  // Likewise the inputs' fingerprints (and runTraining's textTokens): those given now were checked against the
  // checkpoint's (resumeMismatch), and the ones not given (a caller of train() may give none) are kept, so a
  // later resume on another data file is still refused and a Llama run's raw prompts keep their BOS choice.
  const recordedInputs =
    existing?.state.inputs !== undefined || options.inputs !== undefined
      ? { ...existing?.state.inputs, ...options.inputs }
      : undefined;
  const state = (step: number, epoch: number): TrainerState => ({
    step,
    totalSteps,
    epoch,
    config: recordedConfig,
    ...(recordedInputs ? { inputs: recordedInputs } : {}),
    // Which backend trained which steps: the checkpoint's own record (none before this field existed) and
    // this session's steps up to `step`.
    backends: withBackendSpan(storedBackendSpans(existing?.state.backends), backend, startStep + 1, step),
    savedAt: new Date().toISOString(),
  });

  let interrupted = false;
  let savedStep = startStep;
  // The worker threads are stopped however the loop ends (an error mid-step left them running).
  try {
    const gradientGuard = createGradientGuard();
    for (let step = startStep; step < totalSteps; step++) {
      const planned = plan[step];
      if (!planned) break;
      // A step computes synchronously on the wasm backend, so a Ctrl-C / SIGTERM handler (a macrotask: ours,
      // or `ssb run`'s, which exits at once) runs only when the loop lets the event loop turn: once per step,
      // before the signal is read.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) {
        // Checkpoint the steps done since the last checkpoint, so a resume loses none of them.
        if (step > savedStep) {
          lastCheckpoint = await saveTrainingCheckpoint(
            checkpointsDir,
            model,
            loraConfig,
            optimizer,
            state(step, (plan[step - 1] as typeof planned).epoch),
          );
          savedStep = step;
          await pruneCheckpoints(checkpointsDir, Math.max(1, config.keepCheckpoints));
        }
        interrupted = true;
        break;
      }
      const stepStart = Date.now();
      const groups = planned.microBatches.map((ids) => ids.map((i) => examples[i] as TrainingExample));
      const weights = stepRowWeights(groups, config);
      let computed: ReturnType<typeof stepGradients>;
      try {
        computed = pool
          ? await parallelGradients(
              pool,
              model,
              vars,
              examples,
              planned.microBatches,
              weights,
              config,
              step,
              options.padId ?? 0,
            )
          : stepGradients(model, vars, groups, weights, config, step, options.padId ?? 0);
      } catch (e) {
        if (!isWasmAbort(e)) throw e;
        throw wasmAbortError(
          e,
          step + 1,
          largestMicroBatch([planned], lengths, config.workers),
          lastCheckpoint,
        );
      }
      const { grads, loss, kl, ce, tokens } = computed;
      const gradNorm = globalNorm(grads);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        for (const g of grads) g.dispose();
        progress?.done();
        await writeFile(plotFile, lossCurveSvg(readMetrics(metricsFile)));
        throw new NonFiniteLossError(step, lastCheckpoint);
      }
      const typicalNorm = gradientGuard.corrupt(gradNorm);
      if (typicalNorm !== null) {
        for (const g of grads) g.dispose();
        progress?.done();
        await writeFile(plotFile, lossCurveSvg(readMetrics(metricsFile)));
        throw new CorruptGradientError(step + 1, gradNorm, typicalNorm, mainBackend, lastCheckpoint);
      }
      const maxNorm = config.optimizer.maxGradNorm;
      const clipped =
        maxNorm > 0 && gradNorm > maxNorm
          ? grads.map((g) => tf.tidy(() => tf.mul(g, maxNorm / (gradNorm + 1e-6))))
          : grads;
      const lr = learningRate(step, {
        kind: config.optimizer.schedule,
        peakLr: config.optimizer.lr,
        totalSteps,
        warmupSteps,
        minLrRatio: config.optimizer.minLrRatio,
      });
      optimizer.apply(clipped, lr);
      for (const g of new Set([...grads, ...clipped])) g.dispose();

      const seconds = (Date.now() - stepStart) / 1000;
      const metrics: StepMetrics = {
        step: step + 1,
        epoch: planned.epoch + 1,
        loss,
        kl: config.loss.kdWeight > 0 ? kl : null,
        ce: config.loss.ceWeight > 0 ? ce : null,
        gradNorm,
        lr,
        tokensPerSec: tokens / Math.max(seconds, 1e-9),
        rows: weights.length,
        elapsedSec: elapsedBefore + (Date.now() - started) / 1000,
      };
      lastLoss = loss;
      appendMetrics(metricsFile, metrics);
      options.onStep?.(metrics);
      progress?.update(step + 1, {
        loss: loss.toFixed(4),
        lr: lr.toExponential(2),
        "tok/s": metrics.tokensPerSec.toFixed(0),
      });
      const isLast = step + 1 === totalSteps;
      if ((config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0) || isLast) {
        lastCheckpoint = await saveTrainingCheckpoint(
          checkpointsDir,
          model,
          loraConfig,
          optimizer,
          state(step + 1, planned.epoch),
        );
        savedStep = step + 1;
        await pruneCheckpoints(checkpointsDir, Math.max(1, config.keepCheckpoints));
      }
    }
  } finally {
    await pool?.close().catch(() => undefined);
  }
  progress?.done();
  // A resumed call that trains nothing (a finished run, or stopped before its first step) reports the run's
  // last loss, from the metrics file, not NaN.
  if (Number.isNaN(lastLoss)) lastLoss = readMetrics(metricsFile).at(-1)?.loss ?? Number.NaN;
  if (interrupted) {
    await writeFile(plotFile, lossCurveSvg(readMetrics(metricsFile), `${config.mode} loss`));
    log(
      `[distill] interrupted after step ${savedStep}/${totalSteps}; checkpoint ${lastCheckpoint ?? "(none: no step finished)"}; rerun with --resume to continue`,
    );
    return {
      steps: savedStep,
      totalSteps,
      resumedFrom,
      lastLoss,
      savedTo: "",
      metricsFile,
      plotFile,
      interrupted: true,
    };
  }

  const savedTo =
    model.trainable === "lora" && loraConfig
      ? await saveLoraAdapter(path.join(outDir, "adapter"), model, loraConfig)
      : await saveFullModel(path.join(outDir, "model"), model);
  const history = readMetrics(metricsFile);
  await writeFile(plotFile, lossCurveSvg(history, `${config.mode} loss`));
  const firstLoss = history[0]?.loss ?? Number.NaN;
  const meanRate = history.reduce((sum, m) => sum + m.tokensPerSec, 0) / Math.max(1, history.length);
  // Steps this call trained, so a rerun of a finished run does not read as "N steps in 0.0 s".
  const trainedNow = totalSteps - (resumedFrom ?? 0);
  const sessionPart =
    trainedNow === 0
      ? `all ${totalSteps} steps were done before (resumed at the end)`
      : `${trainedNow} of ${totalSteps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s this session`;
  log(
    `[distill] done: ${sessionPart} (${meanRate.toFixed(0)} tok/s on average), loss ${firstLoss.toFixed(5)} -> ${lastLoss.toFixed(5)}; saved ${savedTo}; curve ${plotFile}`,
  );
  return {
    steps: totalSteps,
    totalSteps,
    resumedFrom,
    lastLoss,
    savedTo,
    metricsFile,
    plotFile,
    interrupted: false,
  };
}
