/**
 * Stage 5, eval: base and student answer the same held-out problems (@ssb/eval's resumable runner, verifier
 * grading), then a paired comparison: bootstrap CI of the difference and, with one sample per problem,
 * McNemar's test. The student is the base checkpoint with the LoRA adapter merged, exported to ONNX.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { ProgressBar } from "@ssb/cli-kit";
import { writeFileAtomic } from "@ssb/durable-files";
import {
  type BenchmarkSpec,
  compareRuns,
  type EvalConfig,
  openModelGenerator,
  type RunComparison,
  type RunSummary,
  runEval,
  type SampleRecord,
  writeReports,
} from "@ssb/eval";
import type { PipelineConfig } from "./config-schema.js";
import { ensureOnnxExport } from "./model-files.js";
import type { Reporter } from "./reporter.js";
import { templateDay } from "./template-day.js";
import { templateKwargs } from "./template-kwargs.js";

export const HELD_OUT = "held-out";

export function heldOutSpec(evalFile: string): BenchmarkSpec {
  return {
    name: HELD_OUT,
    file: path.resolve(evalFile),
    questionField: "question",
    answerField: "answer",
    goldFormat: "plain",
    idField: "id",
  };
}

export function evalConfigOf(config: PipelineConfig, evalFile: string, name: string): EvalConfig {
  const e = config.eval;
  return {
    benchmarks: [heldOutSpec(evalFile)],
    n: e.samples,
    sampling: { temperature: e.temperature, topK: e.topK, topP: e.topP, maxNewTokens: e.maxNewTokens },
    seed: config.seed,
    promptsPerCall: e.batchSize,
    name,
    ...templateDay(config),
    ...templateKwargs(config),
  };
}

export interface EvalStageInput {
  config: PipelineConfig;
  modelDir: string;
  baseOnnxDir: string;
  /** The trained adapter, or null when distillation had nothing to train on. */
  adapterDir: string | null;
  evalFile: string;
  dir: string;
  reporter: Reporter;
}

export interface EvalOutcome {
  base: RunSummary;
  /** Null when nothing was trained: the student would be the base model, evaluated a second time. */
  student: RunSummary | null;
  comparison: RunComparison | null;
}

async function evaluate(
  input: EvalStageInput,
  name: "base" | "student",
  onnxDir: string,
): Promise<{ summary: RunSummary; records: SampleRecord[] }> {
  const generator = await openModelGenerator({
    model: onnxDir,
    batchSize: input.config.eval.batchSize,
    executionProvider: input.config.executionProvider,
  });
  // The bar is made on the first progress call, which carries the total (samples already done included).
  const progress: { bar: ProgressBar | null } = { bar: null };
  try {
    const result = await runEval({
      config: evalConfigOf(input.config, input.evalFile, name),
      generator,
      outDir: path.join(input.dir, name),
      reports: false,
      onProgress: (p) => {
        progress.bar ??= input.reporter.bar(`eval ${name}`, p.total);
        progress.bar.update(p.done);
      },
    });
    progress.bar?.finish();
    return { summary: result.summary, records: result.records };
  } finally {
    await generator.close?.();
  }
}

export async function runEvalStage(input: EvalStageInput): Promise<EvalOutcome> {
  mkdirSync(input.dir, { recursive: true });
  const base = await evaluate(input, "base", input.baseOnnxDir);
  let outcome: EvalOutcome;
  if (input.adapterDir === null || !existsSync(input.adapterDir)) {
    // Without an adapter the student is the base model: a second evaluation would only repeat the first (same
    // seed, same replies) and report a difference of 0 as if it were measured.
    input.reporter.info("eval: no adapter (nothing was trained), so only the base model is evaluated");
    writeReports(input.dir, [base.summary]);
    outcome = { base: base.summary, student: null, comparison: null };
  } else {
    input.reporter.info("eval: merging the adapter into the base weights and exporting the student to ONNX");
    const studentOnnx = await ensureOnnxExport({
      modelDir: input.modelDir,
      adapterDir: input.adapterDir,
      outDir: path.join(input.dir, "student-onnx"),
      variant: input.config.onnxVariant,
    });
    const student = await evaluate(input, "student", studentOnnx);
    const comparison = compareRuns(base.records, student.records, { a: "base", b: "student" });
    writeReports(input.dir, [base.summary, student.summary], comparison);
    outcome = { base: base.summary, student: student.summary, comparison };
  }
  writeFileAtomic(path.join(input.dir, "outcome.json"), `${JSON.stringify(outcome, null, 2)}\n`);
  return outcome;
}
