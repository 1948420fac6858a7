/**
 * Stage 4, distill: a LoRA student trained by @ssb/distill on the bare-question prompts of the pairs, with a
 * forward KL to the teacher's stored top-k logits. Resumable from the trainer's checkpoints.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { readMetrics, resolveTrainConfig, runTraining, type TrainConfigInput } from "@ssb/distill";
import type { PipelineConfig } from "./config-schema.js";
import type { Reporter } from "./reporter.js";

export function adapterDir(distillDir: string): string {
  return path.join(distillDir, "adapter");
}

export function metricsFile(distillDir: string): string {
  return path.join(distillDir, "metrics.jsonl");
}

/** The training settings the run uses: the config's distill section over distill's defaults, seeded by the run. */
export function trainConfigOf(config: PipelineConfig, where = "config") {
  return resolveTrainConfig(
    { seed: config.seed, ...(config.distill as TrainConfigInput) },
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
}

export async function runDistillStage(input: DistillStageInput): Promise<Record<string, unknown>> {
  const { dir, reporter } = input;
  mkdirSync(dir, { recursive: true });
  const trainConfig = trainConfigOf(input.config);
  const pairs = countLines(input.pairsFile);
  if (pairs === 0) {
    reporter.info(
      "distill: curation kept no pairs; there is nothing to train, the student is the base model",
    );
    return { pairs: 0, steps: 0, trained: false };
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
