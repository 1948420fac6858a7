import { describe, expect, it } from "vitest";
import { qwen2Config } from "./random-weights.js";
import { estimateStepMemory } from "./step-memory.js";
import {
  isWasmAbort,
  largestMicroBatch,
  WASM_HEAP_BYTES,
  wasmAbortError,
  wasmHeapWarning,
} from "./wasm-heap.js";

const tiny = qwen2Config({
  hidden: 128,
  layers: 4,
  heads: 4,
  kvHeads: 2,
  intermediate: 384,
  vocab: 768,
  tied: true,
});

describe("wasm heap guards", () => {
  it("finds the largest per-thread micro-batch of a plan", () => {
    const lengths = [10, 700, 20, 30, 40, 750];
    const plan = [
      { epoch: 0, microBatches: [[0, 2, 3, 4]] },
      { epoch: 0, microBatches: [[1], [5, 0]] },
    ];
    expect(largestMicroBatch(plan, lengths, 1)).toEqual({ batch: 2, length: 750 });
    expect(largestMicroBatch(plan, lengths, 2)).toEqual({ batch: 1, length: 750 });
  });

  it("warns for a micro-batch whose estimate exceeds 4 GiB, not for a small one", () => {
    // 16 x 749 tokens of the default model's full-parameter pre-training aborted on wasm; 4 x 788 ran.
    expect(wasmHeapWarning(tiny, { batch: 16, length: 749 }, "full", 0)).toMatch(
      /over the wasm backend's 4 GiB/,
    );
    expect(wasmHeapWarning(tiny, { batch: 4, length: 788 }, "full", 0)).toBeNull();
  });

  it("counts XNNPACK's packed weight copies against the wasm heap (a large-vocabulary head decides it)", () => {
    // Qwen2.5-0.5B's shape cut to 2 layers, LoRA r = 32, one 1 x 200-token micro-batch: the tfjs tensors are
    // estimated under 4 GiB, the packed copies (0.51 GiB for the 151,936 x 896 head alone) take it over; such a
    // model ran out of heap at step 2 on wasm.
    const qwenCut = qwen2Config({
      hidden: 896,
      layers: 2,
      heads: 14,
      kvHeads: 2,
      intermediate: 4864,
      vocab: 151936,
      tied: true,
    });
    const memory = estimateStepMemory(qwenCut, {
      batch: 1,
      length: 200,
      rows: 200,
      loraRank: 32,
      trainable: "lora",
    });
    expect(memory.packedWeightsBytes).toBeGreaterThan(4 * 151936 * 896);
    expect(memory.wasmTotalBytes).toBe(memory.totalBytes + memory.packedWeightsBytes);
    const length = [...Array(400).keys()]
      .map((i) => 100 + i)
      .find(
        (t) =>
          estimateStepMemory(qwenCut, { batch: 1, length: t, rows: t, loraRank: 32, trainable: "lora" })
            .wasmTotalBytes > WASM_HEAP_BYTES,
      );
    expect(length).toBeDefined();
    const at = estimateStepMemory(qwenCut, {
      batch: 1,
      length: length ?? 0,
      rows: length ?? 0,
      loraRank: 32,
      trainable: "lora",
    });
    expect(at.totalBytes).toBeLessThanOrEqual(WASM_HEAP_BYTES);
    expect(wasmHeapWarning(qwenCut, { batch: 1, length: length ?? 0 }, "lora", 32)).toMatch(
      /over the wasm backend/,
    );
  });

  it("turns a wasm abort into an error that names the step, the shape and the fix", () => {
    const abort = new Error("Aborted(). Build with -sASSERTIONS for more info.");
    expect(isWasmAbort(abort)).toBe(true);
    expect(isWasmAbort(new Error("shape mismatch"))).toBe(false);
    const e = wasmAbortError(abort, 129, { batch: 8, length: 749 }, "run/checkpoints/step-00000100");
    expect(e.message).toMatch(/step 129: .*8 sequences x 749 tokens.*gradAccumSteps.*step-00000100/);
    expect(e.cause).toBe(abort);
  });

  it("knows an out-of-bounds access as the heap running out, and at one sequence says no batch size fits", () => {
    // What a Qwen2.5-shaped model (151,936-token vocabulary) gave at batch 1 with gradient accumulation.
    const oob = Object.assign(new Error("memory access out of bounds"), { name: "RuntimeError" });
    expect(isWasmAbort(oob)).toBe(true);
    const e = wasmAbortError(oob, 1, { batch: 1, length: 251 }, null);
    expect(e.message).toMatch(
      /step 1: .*memory access out of bounds.*1 sequence x 251 tokens.*does not fit the wasm backend at any batch size.*tfjs-node.*no checkpoint/,
    );
    expect(e.message).not.toMatch(/Lower batchSize/);
  });
});
