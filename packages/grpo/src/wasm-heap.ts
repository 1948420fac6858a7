/**
 * The tfjs wasm backend's heap is capped at 4 GiB and never shrinks (see @ssb/distill's README). A GRPO update
 * keeps [reply rows, vocabulary] tensors for the loss (logits, logits / T, log-softmax and their gradients:
 * about 5 x 4 bytes x vocabulary per reply token, 3 MB at Qwen's 151,936 tokens), so at a real vocabulary the
 * heap bounds the reply tokens of a micro-batch, and a model whose weights (with XNNPACK's packed copies) fill
 * the heap does not fit at all (Qwen2.5-0.5B: ~4.5 GiB before any activation). Three guards: a refusal before
 * the model loads when even one completion of `sampling.maxNewTokens` tokens cannot fit, a warning when a
 * round's largest micro-batch is estimated over the heap, and a clear error instead of wasm's `Aborted()`.
 */
import { estimateStepMemory, WASM_HEAP_BYTES } from "@ssb/distill";
import type { ModelConfig } from "@ssb/model";
import { LENGTH_BUCKET } from "./grpo-step.js";

const GIB = 2 ** 30;
const gib = (bytes: number): string => `${(bytes / GIB).toFixed(1)} GiB`;

export interface MicroBatchShape {
  /** Sequences in the micro-batch. */
  batch: number;
  /** Padded length (prompt + reply, rounded to the collation bucket). */
  length: number;
  /** Reply tokens: the rows of the vocabulary-wide loss tensors. */
  rows: number;
}

/** estimateStepMemory's wasm figure (weights, XNNPACK's packed copies, LoRA + AdamW, activations, loss). */
export function updateHeapBytes(
  model: ModelConfig,
  loraRank: number,
  shape: MicroBatchShape,
  overhead = 6,
): number {
  return estimateStepMemory(model, { ...shape, loraRank, trainable: "lora" }, overhead).wasmTotalBytes;
}

/**
 * Why no micro-batch can fit the wasm heap, or null. The smallest update there is: one completion of
 * `maxNewTokens` tokens after a one-token prompt (some completion of a run reaches the limit), counted without
 * tfjs' backward-pass overhead, so the estimate is a lower bound and the refusal never stops a run that fits.
 */
export function wasmHeapRefusal(model: ModelConfig, loraRank: number, maxNewTokens: number): string | null {
  const length = Math.ceil((maxNewTokens + 1) / LENGTH_BUCKET) * LENGTH_BUCKET;
  const bytes = updateHeapBytes(model, loraRank, { batch: 1, length, rows: maxNewTokens }, 1);
  if (bytes <= WASM_HEAP_BYTES) return null;
  const fixed = updateHeapBytes(model, loraRank, { batch: 1, length: 1, rows: 0 }, 1);
  const perRow = 5 * 4 * model.vocabSize;
  const room = Math.floor((WASM_HEAP_BYTES - fixed) / perRow);
  const fix =
    room >= 1
      ? `lower sampling.maxNewTokens (at most about ${room} fits, by this lower bound) or train`
      : `its weights and XNNPACK's packed copies of them alone need ${gib(fixed)}: train`;
  return `this model (${model.numLayers} layers, hidden ${model.hiddenSize}, vocabulary ${model.vocabSize.toLocaleString("en-US")}) does not fit the tfjs wasm backend's 4 GiB heap: one completion of sampling.maxNewTokens = ${maxNewTokens} tokens needs at least ${gib(bytes)} for its update; ${fix} with --backend tfjs-node (install @tensorflow/tfjs-node; no 4 GiB cap) or --backend cpu (pure JS, slow)`;
}

/** A warning when a round's largest micro-batch is estimated over the wasm heap, else null. */
export function wasmHeapWarning(
  model: ModelConfig,
  loraRank: number,
  shape: MicroBatchShape,
  microBatchTokens: number,
): string | null {
  const bytes = updateHeapBytes(model, loraRank, shape);
  if (bytes <= WASM_HEAP_BYTES) return null;
  // The part that grows with the micro-batch, scaled down to what is left of the heap beside the rest.
  const fixed = updateHeapBytes(model, loraRank, { batch: 1, length: 1, rows: 0 });
  const fits = Math.floor(
    (microBatchTokens * Math.max(0, WASM_HEAP_BYTES - fixed)) / (bytes - fixed) / LENGTH_BUCKET,
  );
  const suggestion = fits >= 1 ? `, e.g. --set microBatchTokens=${fits * LENGTH_BUCKET}` : "";
  return `[grpo] warning: the largest micro-batch of this round (${shape.batch} x ${shape.length} tokens, ${shape.rows} reply tokens, vocabulary ${model.vocabSize.toLocaleString("en-US")}) needs an estimated ${gib(bytes)}, over the wasm backend's 4 GiB heap; if the update aborts, lower microBatchTokens (now ${microBatchTokens}${suggestion}; it does not change the gradient, so --resume accepts a new value)`;
}

/** The error to raise instead of a wasm abort during a round's update. */
export function wasmAbortError(
  error: Error,
  round: number,
  shape: MicroBatchShape,
  microBatchTokens: number,
  lastCheckpoint: string | null,
): Error {
  const fix =
    shape.batch <= 1
      ? "At one sequence per micro-batch no smaller batch exists: lower sampling.maxNewTokens (a new run), or train with --backend tfjs-node (no 4 GiB cap)"
      : `Lower microBatchTokens (now ${microBatchTokens}; it does not change the gradient, so --resume accepts it, e.g. --set microBatchTokens=${Math.max(LENGTH_BUCKET, Math.floor(microBatchTokens / 2))}) or train with --backend tfjs-node (no 4 GiB cap)`;
  return new Error(
    `round ${round}: the tfjs wasm backend ran out of its heap (capped at 4 GiB; ${error.message.split("\n")[0]}) on a micro-batch of up to ${shape.batch} sequence${shape.batch === 1 ? "" : "s"} x ${shape.length} tokens (${shape.rows} reply tokens). ${fix}; ${lastCheckpoint ? `--resume continues from ${lastCheckpoint}` : "no checkpoint was written yet"}.`,
    { cause: error },
  );
}
