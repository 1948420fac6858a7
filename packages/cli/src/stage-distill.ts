/**
 * Stage 4, distill: a LoRA student trained by @ssb/distill on the bare-question prompts of the pairs, with a
 * forward KL to the teacher's stored top-k logits. Resumable from the trainer's checkpoints.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CurationSummary } from "@ssb/curation";
import { readMetrics, resolveTrainConfig, runTraining, type TrainConfigInput } from "@ssb/distill";
import type { PipelineConfig } from "./config-schema.js";
import { countTruncated, nothingTrainedReason } from "./nothing-trained.js";
import { type Reporter, warnLine } from "./reporter.js";
import { templateDay } from "./template-day.js";
import { templateKwargs } from "./template-kwargs.js";

export function adapterDir(distillDir: string): string {
  return path.join(distillDir, "adapter");
}

export function metricsFile(distillDir: string): string {
  return path.join(distillDir, "metrics.jsonl");
}

/** The training settings the run uses: the config's distill section over distill's defaults, seeded by the run. */
export function trainConfigOf(config: PipelineConfig, where = "config") {
  return resolveTrainConfig(
    // The run's template day, unless the distill section names its own.
    {
      seed: config.seed,
      ...templateDay(config),
      ...templateKwargs(config),
      ...(config.distill as TrainConfigInput),
    },
    `${where}: distill`,
  );
}

export function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "").length;
}

export interface DistillStageInput {
  config: PipelineConfig;
  modelDir: string;
  pairsFile: string;
  logitsDir: string;
  dir: string;
  reporter: Reporter;
  /** Draw distill's own progress bar (steps, loss, tokens/s, ETA). */
  progress: boolean;
  /** curate/summary.json and rollouts.jsonl: said, when no pair was kept, to tell why. */
  curation?: { summaryFile: string; rolloutsFile: string };
}

/** Why curation kept nothing, from its summary and the rollouts; null when they cannot be read. */
async function curationReason(
  files: { summaryFile: string; rolloutsFile: string },
  config: PipelineConfig,
): Promise<string | null> {
  try {
    const curation = JSON.parse(readFileSync(files.summaryFile, "utf8")) as CurationSummary;
    const rollouts = existsSync(files.rolloutsFile) ? await countTruncated(files.rolloutsFile) : null;
    return nothingTrainedReason({ curation, rollouts, rolloutMaxNewTokens: config.rollout.maxNewTokens });
  } catch {
    // The run has already checked the summary (readCurationSummary); the reason is a courtesy.
    return null;
  }
}

export async function runDistillStage(input: DistillStageInput): Promise<Record<string, unknown>> {
  const { dir, reporter } = input;
  mkdirSync(dir, { recursive: true });
  const trainConfig = trainConfigOf(input.config);
  const pairs = countLines(input.pairsFile);
  if (pairs === 0) {
    const reason = input.curation ? await curationReason(input.curation, input.config) : null;
    // A warning (shown under --quiet too): the run goes on, but its student is the base model.
    warnLine(
      reporter,
      "distill: curation kept no pairs, so there is nothing to train and the student is the base model" +
        (reason ? `: ${reason}` : ""),
    );
    return { pairs: 0, steps: 0, trained: false, ...(reason ? { reason } : {}) };
  }
  const result = await runTraining({
    modelDir: input.modelDir,
    dataFile: input.pairsFile,
    logitsDir: input.logitsDir,
    outDir: dir,
    config: trainConfig,
    resume: true,
    log: (line) => reporter.info(line),
    progress: input.progress,
  });
  const metrics = readMetrics(result.metricsFile);
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  return {
    pairs,
    trained: true,
    steps: result.steps,
    resumedFromStep: result.resumedFrom,
    firstLoss: first?.loss ?? null,
    lastLoss: result.lastLoss,
    meanTokensPerSecond: last
      ? Math.round(metrics.reduce((s, m) => s + m.tokensPerSec, 0) / metrics.length)
      : 0,
    lr: trainConfig.optimizer.lr,
    lora: { r: trainConfig.lora.r, alpha: trainConfig.lora.alpha, targets: trainConfig.lora.targetModules },
    loss: `${trainConfig.loss.divergence} at T=${trainConfig.loss.temperature}`,
    epochs: trainConfig.epochs,
    batchSize: trainConfig.batchSize,
  };
}
