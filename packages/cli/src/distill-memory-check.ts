/**
 * `ssb run`'s start-of-run check of the distill stage's memory: with a large vocabulary (Qwen2.5's 151,936
 * tokens) the default distill batch does not fit the wasm backend's 4 GiB heap, and training aborts only after
 * the rollouts and curation have run. By @ssb/distill's estimateStepMemory (its wasm total, with XNNPACK's packed weight copies, see
 * model-summary.ts) for the largest micro-batch one
 * thread runs (the configured batch, split over the workers) at the longest sequence the run can make (the
 * longest training prompt + curation.teacher.maxNewTokens). A warning, not a refusal: the estimate is
 * conservative (distill itself warns rather than refuses), and the user may know better.
 */
import { createRequire } from "node:module";
import { renderStudentMessages } from "@ssb/curation";
import { WASM_HEAP_BYTES } from "@ssb/distill";
import { loadModelConfig, loadTokenizer, type ModelConfig } from "@ssb/model";
import type { PipelineConfig } from "./config-schema.js";
import { formatGiB, wasmStepBytes } from "./model-summary.js";
import { trainConfigOf } from "./stage-distill.js";

/**
 * Whether distill's `auto` backend would be wasm: neither tfjs-node package resolves from @ssb/distill, which
 * imports them (optional dependencies) when they are installed. The pure-JS cpu backend is its last resort
 * only when wasm fails to start.
 */
export function trainsOnWasm(): boolean {
  let from: NodeJS.Require;
  try {
    from = createRequire(createRequire(import.meta.url).resolve("@ssb/distill"));
  } catch {
    return true;
  }
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      from.resolve(pkg);
      return false;
    } catch {
      // not installed: the next one
    }
  }
  return true;
}

/** Tokens of the training prompt of the longest question (by characters), or null without a tokenizer. */
async function longestPromptTokens(modelDir: string, questions: readonly string[]): Promise<number | null> {
  if (questions.length === 0) return null;
  const longest = questions.reduce((a, b) => (b.length > a.length ? b : a));
  try {
    const tokenizer = await loadTokenizer(modelDir);
    return tokenizer.encodeChat(renderStudentMessages(longest), { addGenerationPrompt: true }).length;
  } catch {
    return null;
  }
}

export interface DistillMemoryInput {
  config: PipelineConfig;
  model: ModelConfig;
  /** Tokens of the longest training prompt; null when unknown (counted as 0: the estimate is a lower bound). */
  promptTokens: number | null;
}

/** The warning line when the estimate of one micro-batch is over the wasm heap, else null. */
export function distillMemoryWarning({ config, model, promptTokens }: DistillMemoryInput): string | null {
  const train = trainConfigOf(config);
  const reply = config.curation.teacher.maxNewTokens;
  const full = (promptTokens ?? 0) + reply;
  const length = train.maxLength > 0 ? Math.min(train.maxLength, full) : full;
  const perThread = Math.ceil(train.batchSize / Math.max(1, train.workers));
  const bytes = (batch: number) =>
    wasmStepBytes(model, { batch, length, loraRank: train.lora.r, trainable: train.trainable });
  const estimate = bytes(perThread);
  if (estimate <= WASM_HEAP_BYTES) return null;
  const one = bytes(1);
  const prompt =
    promptTokens === null
      ? "curation.teacher.maxNewTokens, prompt not counted"
      : `the longest prompt ${promptTokens} + curation.teacher.maxNewTokens ${reply}`;
  const cut =
    train.maxLength > 0 && full > train.maxLength ? `, cut to distill.maxLength ${train.maxLength}` : "";
  const split = train.workers > 1 ? ` over ${train.workers} workers` : "";
  // A step of one token: the weights, their packed copies and the optimizer state, which no length changes.
  const fixed =
    bytes(1) > WASM_HEAP_BYTES
      ? wasmStepBytes(model, { batch: 1, length: 1, loraRank: train.lora.r, trainable: train.trainable })
      : 0;
  const fix =
    one <= WASM_HEAP_BYTES
      ? `Lower distill.batchSize (1 x ${length} is estimated at ${formatGiB(one)}; keep the effective batch with distill.gradAccumSteps) or install @tensorflow/tfjs-node (no 4 GiB cap)`
      : fixed > WASM_HEAP_BYTES
        ? `The model's weights alone, with those copies and the optimizer state, need ${formatGiB(fixed)}, so no batch size or length fits: install @tensorflow/tfjs-node (or tfjs-node-gpu; no 4 GiB cap) before the distill stage`
        : `No batch size fits (1 x ${length} is estimated at ${formatGiB(one)}): lower curation.teacher.maxNewTokens or distill.maxLength, or install @tensorflow/tfjs-node (no 4 GiB cap)`;
  return (
    `distill: one training micro-batch of ${perThread} x ${length} tokens per thread (distill.batchSize ` +
    `${train.batchSize}${split}; ${prompt}${cut}) needs an estimated ${formatGiB(estimate)} (@ssb/distill's ` +
    `estimateStepMemory with XNNPACK's packed weight copies), over the wasm backend's 4 GiB heap, and training would run on wasm (tfjs-node is not ` +
    `installed): it would most likely abort after the rollouts and curation. ${fix}. The run goes on: this is an estimate`
  );
}

/** The check `ssb run` makes at its start (null: fits, trains elsewhere, or the model cannot be read yet). */
export async function checkDistillMemory(
  config: PipelineConfig,
  modelDir: string,
  questions: readonly string[],
  wasm: boolean = trainsOnWasm(),
): Promise<string | null> {
  if (!wasm) return null;
  let model: ModelConfig;
  try {
    model = await loadModelConfig(modelDir);
  } catch {
    // A model that cannot be read fails in its own stage, with its own message.
    return null;
  }
  return distillMemoryWarning({
    config,
    model,
    promptTokens: await longestPromptTokens(modelDir, questions),
  });
}
