/**
 * Stage 2, rollout: the base model answers every train problem K times (@ssb/rollout's resumable job). The
 * prompts are curation's student messages (system prompt + bare question), the same ones the student is later
 * trained and evaluated on.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Problem, readJsonl, readProblemsFile, renderStudentMessages } from "@ssb/curation";
import { Generator, rolloutProgressExtra, runRollouts } from "@ssb/rollout";
import type { PipelineConfig } from "./config-schema.js";
import { ensureOnnxExport } from "./model-files.js";
import type { Reporter } from "./reporter.js";
import { templateDay } from "./template-day.js";
import { templateKwargs } from "./template-kwargs.js";

export function baseOnnxDir(rolloutDir: string): string {
  return path.join(rolloutDir, "base-onnx");
}

export function rolloutsFile(rolloutDir: string): string {
  return path.join(rolloutDir, "rollouts.jsonl");
}

export function generatorSettings(config: PipelineConfig): Parameters<typeof Generator.load>[1] {
  return {
    ...(config.threads > 0 ? { intraOpThreads: config.threads } : {}),
    ...(config.executionProvider !== "cpu" ? { executionProvider: config.executionProvider } : {}),
  };
}

/**
 * Samples and generated tokens over every session that wrote to `file` (the job's own summary counts only the
 * session that finished it): each record's tokenIds are the tokens generated for it, as the job counts them.
 */
export async function rolloutTotals(file: string): Promise<{ samples: number; generatedTokens: number }> {
  let samples = 0;
  let generatedTokens = 0;
  for await (const { value } of readJsonl(file)) {
    samples++;
    const ids =
      typeof value === "object" && value !== null ? (value as { tokenIds?: unknown }).tokenIds : null;
    if (Array.isArray(ids)) generatedTokens += ids.length;
  }
  return { samples, generatedTokens };
}

export interface RolloutStageInput {
  config: PipelineConfig;
  modelDir: string;
  trainFile: string;
  dir: string;
  reporter: Reporter;
}

export async function runRolloutStage(input: RolloutStageInput): Promise<Record<string, unknown>> {
  const { config, dir, reporter } = input;
  mkdirSync(dir, { recursive: true });
  const onnx = await ensureOnnxExport({
    modelDir: input.modelDir,
    outDir: baseOnnxDir(dir),
    variant: config.onnxVariant,
  });
  const problems: Problem[] = await readProblemsFile(input.trainFile);
  const generator = await Generator.load(onnx, { ...generatorSettings(config), modelId: "base" });
  const r = config.rollout;
  const total = problems.length * r.samples;
  const bar = reporter.bar("rollout", total);
  try {
    const summary = await runRollouts({
      generator,
      problems: problems.map((p) => ({ id: p.id, messages: renderStudentMessages(p.question) })),
      n: r.samples,
      sampling: {
        temperature: r.temperature,
        topK: r.topK,
        topP: r.topP,
        maxNewTokens: r.maxNewTokens,
        seed: config.seed,
      },
      outFile: rolloutsFile(dir),
      maxBatch: r.batchSize,
      ...templateDay(config),
      ...templateKwargs(config),
      onProgress: (p, already) => bar.update(already + p.finishedSequences, rolloutProgressExtra(p)),
    });
    bar.update(total);
    bar.finish();
    return {
      problems: problems.length,
      samples: total,
      // The session that finished the stage: after a resume, only what it generated itself.
      generated: summary.written,
      resumedSamples: summary.skipped,
      generatedTokens: summary.generatedTokens,
      tokensPerSecond: Math.round(summary.tokensPerSecond),
      // Every session's records, from rollouts.jsonl: the same numbers whether or not the run was resumed.
      wholeRun: await rolloutTotals(rolloutsFile(dir)),
    };
  } finally {
    await generator.close();
  }
}
