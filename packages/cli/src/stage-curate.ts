/**
 * Stage 3, curate: @ssb/curation grades the rollouts, picks a correct and a majority-wrong answer per problem,
 * and asks the base model as teacher (hinted prompt, T = 0.4) for a solution; its top-k logits go to a logit
 * store through @ssb/rollout's teacher adapter. Resumable by problem (curation) and by logit shard (the store);
 * the adapter's commit() makes the logits durable before the pairs that point at them are written.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  DEFAULT_TEMPLATE,
  EXACT_TEMPLATE,
  type Problem,
  readProblemsFile,
  readRolloutsFile,
  runCuration,
} from "@ssb/curation";
import { openLogitStoreWriter } from "@ssb/logit-store";
import { createTeacherGenerator, Generator } from "@ssb/rollout";
import type { PipelineConfig } from "./config-schema.js";
import type { Reporter } from "./reporter.js";
import { generatorSettings } from "./stage-rollout.js";
import { templateDay } from "./template-day.js";
import { templateKwargs } from "./template-kwargs.js";

export function logitsDir(curateDir: string): string {
  return path.join(curateDir, "logits");
}

export function pairsFile(curateDir: string): string {
  return path.join(curateDir, "pairs.jsonl");
}

export interface CurateStageInput {
  config: PipelineConfig;
  onnxDir: string;
  trainFile: string;
  rolloutsFile: string;
  dir: string;
  reporter: Reporter;
  /** The student's system prompt (null: none); undefined: @ssb/curation's default, the one ssb run samples with. */
  studentSystemPrompt?: string | null;
}

export async function runCurateStage(input: CurateStageInput): Promise<Record<string, unknown>> {
  const { config, dir, reporter } = input;
  mkdirSync(dir, { recursive: true });
  const problems: Problem[] = await readProblemsFile(input.trainFile);
  const rollouts = await readRolloutsFile(input.rolloutsFile);
  const c = config.curation;
  const generator = await Generator.load(input.onnxDir, { ...generatorSettings(config), modelId: "base" });
  const writer = await openLogitStoreWriter(
    logitsDir(dir),
    {
      modelId: generator.modelId,
      tokenizerHash: generator.tokenizer?.fingerprint() ?? "none",
      vocabSize: generator.vocabSize,
      k: c.logitK,
      dtype: "float16",
      captureTemperature: c.teacher.temperature,
    },
    { compression: c.logitCompression === "zstd" ? "zstd" : null },
  );
  const teacher = createTeacherGenerator({
    generator,
    logitWriter: writer,
    maxBatch: c.batchSize,
    ...templateDay(config),
    ...templateKwargs(config),
  });
  const bar = reporter.bar("curate", problems.length);
  try {
    const result = await runCuration({
      problems,
      rollouts,
      outDir: dir,
      generator: teacher,
      config: {
        seed: config.seed,
        template: c.template === "exact" ? EXACT_TEMPLATE : DEFAULT_TEMPLATE,
        teacherSampling: {
          temperature: c.teacher.temperature,
          topK: c.teacher.topK,
          topP: c.teacher.topP,
          maxNewTokens: c.teacher.maxNewTokens,
        },
        maxAttempts: c.maxAttempts,
        batchSize: c.batchSize,
        captureLogits: true,
        ...(c.answerRules !== undefined && { answerRules: c.answerRules }),
        ...(input.studentSystemPrompt !== undefined && { studentSystemPrompt: input.studentSystemPrompt }),
      },
      onProgress: (p) => bar.update(p.done),
    });
    bar.finish();
    const s = result.summary;
    return {
      problems: s.problems,
      selected: s.selected,
      kept: s.kept ?? 0,
      dropped: s.dropped.total,
      droppedByReason: s.dropped.byReason,
      rollouts: s.rollouts,
      teacherReplyTokens: s.replyLengths?.tokens ?? null,
    };
  } finally {
    await writer.close();
    await generator.close();
  }
}
