/**
 * What `ssb doctor` and `ssb run`'s start checks say about a model: its size from config.json, and whether one
 * LoRA training step fits the wasm backend's heap by @ssb/distill's estimate (estimateStepMemory). An estimate:
 * distill's own notes say it leaves out XNNPACK's packed weight copies and the heap's fragmentation.
 */
import { estimateStepMemory } from "@ssb/distill";
import type { ModelConfig } from "@ssb/model";

/** Weights in the checkpoint, counted from config.json (a tied LM head once). */
export function parameterCount(c: ModelConfig): number {
  const e = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const attention =
    e * q + 2 * e * kv + q * e + (c.attentionBias.qkv ? q + 2 * kv : 0) + (c.attentionBias.output ? e : 0);
  const mlp = 3 * e * c.intermediateSize + (c.mlpBias ? 2 * c.intermediateSize + e : 0);
  const perLayer = attention + mlp + 2 * e;
  return c.numLayers * perLayer + c.vocabSize * e * (c.tieWordEmbeddings ? 1 : 2) + e;
}

/** `494.0M` / `1.54B` / `0.90M`. */
export function formatCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
}

export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
}

/** One line: architecture, parameters, hidden size, layers, vocabulary. */
export function describeModelConfig(c: ModelConfig): string {
  return (
    `${c.architecture}, ${formatCount(parameterCount(c))} parameters, hidden size ${c.hiddenSize}, ` +
    `${c.numLayers} layers, vocabulary ${c.vocabSize.toLocaleString("en-US")}`
  );
}

/**
 * Estimated bytes of one training step on the wasm backend: @ssb/distill's estimateStepMemory with every token a
 * loss row (as distill's own heap warning counts them: the upper bound), its wasm total, which adds XNNPACK's
 * packed copies of the weights (0.51 GiB for Qwen2.5's 151,936 x 896 head alone) and decides whether a
 * large-vocabulary model fits.
 */
export function wasmStepBytes(
  c: ModelConfig,
  shape: { batch: number; length: number; loraRank: number; trainable?: "lora" | "full" },
): number {
  const { batch, length, loraRank } = shape;
  const trainable = shape.trainable ?? "lora";
  return estimateStepMemory(c, { batch, length, rows: batch * length, loraRank, trainable }).wasmTotalBytes;
}
