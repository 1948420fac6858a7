/**
 * What the training and measuring scripts share: the SFT records file, the full-parameter SFT config both
 * stages train with, training a stage and publishing its checkpoint, and reading a checkpoint's
 * training.json back into its problem splits.
 */
import { readFileSync } from "node:fs";
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveTrainConfig, runTraining, type TrainConfig, type TrainResult } from "@ssb/distill";
import type { ModelTokenizer } from "@ssb/model";
import { generateSplits, type MixExample, type WordProblem } from "../src/index.js";

export interface SftRecord {
  id: string;
  promptTokenIds: number[];
  responseTokenIds: number[];
}

/** Chat prompt → ids with the generation prompt; reply → ids plus `<|im_end|>`. */
export function sftRecords(examples: readonly MixExample[], tokenizer: ModelTokenizer): SftRecord[] {
  const imEnd = tokenizer.requireTokenId("<|im_end|>");
  return examples.map((e) => ({
    id: e.id,
    promptTokenIds: tokenizer.encodeChat(e.messages, { addGenerationPrompt: true }),
    responseTokenIds: [...tokenizer.encode(e.reply), imEnd],
  }));
}

export async function writeSftFile(file: string, records: readonly SftRecord[]): Promise<void> {
  await writeFile(file, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
}

/** Prompt + reply tokens over all records (one epoch). */
export function recordTokens(records: readonly SftRecord[]): number {
  return records.reduce((n, r) => n + r.promptTokenIds.length + r.responseTokenIds.length, 0);
}

export interface StageSettings {
  lr: number;
  epochs: number;
  maxSteps: number;
  seed: number;
  workers: number;
  batchSize: number;
  gradAccumSteps: number;
  checkpointEvery: number;
}

/** Full-parameter SFT, cosine schedule with 3% warm-up down to 10%, clip 1, weight decay 0.01. */
export function stageTrainConfig(s: StageSettings): TrainConfig {
  return resolveTrainConfig({
    mode: "sft",
    trainable: "full",
    batchSize: s.batchSize,
    gradAccumSteps: s.gradAccumSteps,
    epochs: s.epochs,
    maxSteps: s.maxSteps,
    seed: s.seed,
    workers: s.workers,
    maxLength: 1024,
    checkpointEvery: s.checkpointEvery,
    keepCheckpoints: 1,
    optimizer: {
      lr: s.lr,
      schedule: "cosine",
      warmupRatio: 0.03,
      minLrRatio: 0.1,
      weightDecay: 0.01,
      maxGradNorm: 1,
    },
  });
}

const CHECKPOINT_FILES = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "model.safetensors",
];

/** Replace `out` with the checkpoint files of a finished run (`savedTo`). */
async function publishCheckpoint(savedTo: string, out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const file of CHECKPOINT_FILES) await copyFile(path.join(savedTo, file), path.join(out, file));
}

/**
 * Train `modelDir` on `work`/sft.jsonl (run folder `work`/run, resumable), then replace `out` with the
 * trained checkpoint.
 */
export async function trainStage(options: {
  modelDir: string;
  work: string;
  config: TrainConfig;
  resume: boolean;
  out: string;
}): Promise<TrainResult> {
  const result = await runTraining({
    modelDir: options.modelDir,
    dataFile: path.join(options.work, "sft.jsonl"),
    outDir: path.join(options.work, "run"),
    config: options.config,
    resume: options.resume,
  });
  await publishCheckpoint(result.savedTo, options.out);
  return result;
}

/** The part of a checkpoint's training.json that says which problems it was trained and measured on. */
export interface TrainingSummary {
  seed: number;
  difficulty: { minSteps: number; maxSteps: number; maxStart: number; maxOperand: number };
  problems: { train: number; heldOut: number };
  training: { minutes: number; tokensSeen: number };
  /** Present when scripts/teacher-stage.ts trained the checkpoint after pre-training. */
  teacherStage?: { minutes: number };
}

/** A checkpoint's training.json and the train / held-out splits it names (regenerated from its seed). */
export function readTrainingSummary(modelDir: string): {
  summary: TrainingSummary;
  train: WordProblem[];
  test: WordProblem[];
} {
  const summary = JSON.parse(readFileSync(path.join(modelDir, "training.json"), "utf8")) as TrainingSummary;
  const { train, test } = generateSplits({
    seed: summary.seed,
    train: summary.problems.train,
    test: summary.problems.heldOut,
    ...summary.difficulty,
  });
  return { summary, train, test };
}
