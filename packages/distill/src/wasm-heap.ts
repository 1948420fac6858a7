/**
 * The wasm backend's heap is capped at 4 GiB per instance and never shrinks; a micro-batch that needs more
 * aborts inside a kernel with an opaque `RuntimeError: Aborted()`. Two guards: a warning before training when
 * the largest micro-batch one instance will run looks too big (the estimate is conservative, so it warns
 * rather than refuses), and a clear error, naming the step, the batch shape and the fix, when an abort happens.
 */
import type { ModelConfig } from "@ssb/model";
import type { PlannedStep } from "./batching.js";
import { estimateStepMemory } from "./step-memory.js";

export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export interface MicroBatchShape {
  /** Sequences one instance processes together. */
  batch: number;
  /** Longest sequence among them (the padded length). */
  length: number;
}

/** The largest micro-batch (by sequences x padded length) one instance runs, with `workers` splitting each. */
export function largestMicroBatch(
  plan: readonly PlannedStep[],
  lengths: readonly number[],
  workers: number,
): MicroBatchShape {
  let worst: MicroBatchShape = { batch: 0, length: 0 };
  for (const step of plan) {
    for (const group of step.microBatches) {
      const batch = Math.ceil(group.length / Math.max(1, workers));
      const length = Math.max(0, ...group.map((i) => lengths[i] ?? 0));
      if (batch * length > worst.batch * worst.length) worst = { batch, length };
    }
  }
  return worst;
}

/** A warning line when the estimate of the largest micro-batch exceeds the wasm heap, else null. */
export function wasmHeapWarning(
  config: ModelConfig,
  shape: MicroBatchShape,
  trainable: "lora" | "full",
  loraRank: number,
): string | null {
  const estimate = estimateStepMemory(config, {
    batch: shape.batch,
    length: shape.length,
    rows: shape.batch * shape.length,
    loraRank,
    trainable,
  }).wasmTotalBytes;
  if (estimate <= WASM_HEAP_BYTES) return null;
  return `[distill] warning: the largest micro-batch (${shape.batch} x ${shape.length} tokens per thread) needs an estimated ${(estimate / 2 ** 30).toFixed(1)} GiB, over the wasm backend's 4 GiB heap; if training aborts, lower batchSize (keep the effective batch with gradAccumSteps) or maxLength`;
}

/**
 * True for the RuntimeErrors the wasm module throws when it runs out of heap: an abort, or (when an
 * allocation failed and a kernel went on with it) an access out of bounds.
 */
export function isWasmAbort(error: unknown): boolean {
  return error instanceof Error && /\bAborted\(|memory access out of bounds/.test(error.message);
}

/** The error to raise instead of a wasm abort during a step. */
export function wasmAbortError(
  error: unknown,
  step: number,
  shape: MicroBatchShape,
  lastCheckpoint: string | null,
): Error {
  const sequences = `${shape.batch} sequence${shape.batch === 1 ? "" : "s"}`;
  // At one sequence per thread there is no smaller batch: the model (its vocabulary, in practice) is too big.
  const fix =
    shape.batch <= 1
      ? "At one sequence per thread this model does not fit the wasm backend at any batch size (its LM head over a large vocabulary, in practice): lower maxLength, or train with @tensorflow/tfjs-node (CPU memory, no 4 GiB cap)"
      : "Lower batchSize (keep the effective batch with gradAccumSteps) or maxLength, or add workers, or train with @tensorflow/tfjs-node (no 4 GiB cap)";
  return new Error(
    `step ${step}: the tfjs wasm backend ran out of its heap (capped at 4 GiB; ${(error as Error).message.split("\n")[0]}) on a micro-batch of up to ${sequences} x ${shape.length} tokens per thread. ${fix}; ${lastCheckpoint ? `resume continues from ${lastCheckpoint}` : "no checkpoint was written yet"}.`,
    { cause: error },
  );
}
