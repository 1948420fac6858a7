/**
 * GRPO at a real vocabulary on the wasm backend (4 GiB heap, see @ssb/distill's README): estimated, never run.
 * A Qwen2.5-0.5B-shaped model (151,936-token vocabulary) is refused before its weights are read (it used to
 * load and sample a round, then die with wasm's bare "Aborted()"); a small model with that vocabulary fits one
 * completion but not the default micro-batch of 2048 padded tokens, which is warned about with a value that fits.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isWasmAbort, qwen2Config } from "@ssb/distill";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveGrpoConfig } from "./grpo-config.js";
import { runGrpo } from "./run-grpo.js";
import { wasmAbortError, wasmHeapRefusal, wasmHeapWarning } from "./wasm-heap.js";

const QWEN_VOCAB = 151_936;
// Qwen2.5-0.5B's shape (its config.json's sizes).
const qwen05 = {
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  vocab_size: QWEN_VOCAB,
  max_position_embeddings: 32768,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  hidden_act: "silu",
};
// The embedded default model's architecture with Qwen's vocabulary.
const smallQwenVocab = qwen2Config({
  hidden: 128,
  layers: 4,
  heads: 4,
  kvHeads: 2,
  intermediate: 384,
  vocab: QWEN_VOCAB,
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-heap-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("the wasm heap at Qwen's vocabulary", () => {
  it("a Qwen2.5-0.5B-shaped model is refused on wasm before its weights are read, naming the folder and the fix", async () => {
    // config.json only: the refusal must come before anything reads a weight (there is none to read).
    const modelDir = path.join(tmp, "qwen05");
    await rm(modelDir, { recursive: true, force: true });
    await mkdir(modelDir, { recursive: true });
    await writeFile(path.join(modelDir, "config.json"), JSON.stringify(qwen05));
    await expect(
      runGrpo({
        modelDir,
        problems: [{ id: "a", question: "1 + 1?", answer: "2" }],
        outDir: path.join(tmp, "out"),
        config: resolveGrpoConfig({}),
        backend: "wasm",
        progress: false,
        log: () => {},
      }),
    ).rejects.toThrow(
      `${modelDir}: this model (24 layers, hidden 896, vocabulary 151,936) does not fit the tfjs wasm backend's 4 GiB heap: one completion of sampling.maxNewTokens = 256 tokens needs at least 6.4 GiB for its update; its weights and XNNPACK's packed copies of them alone need 4.3 GiB: train with --backend tfjs-node`,
    );
  });

  it("a small model with that vocabulary: one completion fits; too long a completion limit is refused with one that fits", () => {
    expect(wasmHeapRefusal(smallQwenVocab, 16, 256)).toBeNull();
    expect(wasmHeapRefusal(smallQwenVocab, 16, 2048)).toMatch(
      /maxNewTokens = 2048 tokens needs at least 6\.7 GiB .*lower sampling\.maxNewTokens \(at most about 1333 fits/,
    );
    // The default model's own vocabulary (768) is nowhere near.
    expect(wasmHeapRefusal({ ...smallQwenVocab, vocabSize: 768 }, 16, 2048)).toBeNull();
  });

  it("warns when a round's largest micro-batch is over the heap, with a microBatchTokens that fits", () => {
    // The default microBatchTokens, 2048: 16 sequences of 128 tokens, 1,600 of them replies.
    const warning = wasmHeapWarning(smallQwenVocab, 16, { batch: 16, length: 128, rows: 1600 }, 2048);
    expect(warning).toMatch(
      /^\[grpo\] warning: the largest micro-batch of this round \(16 x 128 tokens, 1600 reply tokens, vocabulary 151,936\) needs an estimated 5\.7 GiB, over the wasm backend's 4 GiB heap; if the update aborts, lower microBatchTokens \(now 2048, e\.g\. --set microBatchTokens=\d+;/,
    );
    const suggested = Number(/microBatchTokens=(\d+)/.exec(warning ?? "")?.[1]);
    // The suggestion fits by the same estimate (scaled: 4 sequences of 128 tokens, 100 replies each, per 512).
    const sequences = Math.floor(suggested / 128);
    expect(sequences).toBeGreaterThanOrEqual(1);
    expect(
      wasmHeapWarning(
        smallQwenVocab,
        16,
        { batch: sequences, length: 128, rows: sequences * 100 },
        suggested,
      ),
    ).toBeNull();
  });

  it("a wasm abort in an update becomes an error naming the round, the micro-batch and what to change", () => {
    const abort = new Error("Aborted(). Build with -sASSERTIONS for more info.");
    expect(isWasmAbort(abort)).toBe(true);
    expect(isWasmAbort(new RangeError("memory access out of bounds"))).toBe(true);
    expect(isWasmAbort(new Error("something else"))).toBe(false);
    const e = wasmAbortError(
      abort,
      7,
      { batch: 8, length: 256, rows: 1500 },
      2048,
      "runs/g/checkpoints/step-00000005",
    );
    expect(e.message).toBe(
      "round 7: the tfjs wasm backend ran out of its heap (capped at 4 GiB; Aborted(). Build with -sASSERTIONS for more info.) on a micro-batch of up to 8 sequences x 256 tokens (1500 reply tokens). Lower microBatchTokens (now 2048; it does not change the gradient, so --resume accepts it, e.g. --set microBatchTokens=1024) or train with --backend tfjs-node (no 4 GiB cap); --resume continues from runs/g/checkpoints/step-00000005.",
    );
    expect(e.cause).toBe(abort);
  });
});
