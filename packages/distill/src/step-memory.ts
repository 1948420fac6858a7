/**
 * Rough memory of one training step (float32), to decide batch size and accumulation before a run. Counted:
 * base weights (+ the transposed copy of a tied LM head), trainable tensors x 4 (value, gradient, Adam m and v),
 * activations kept for the backward pass, and the [rows, V] tensors of the loss. tfjs keeps every op's output
 * and every intermediate gradient until the backward pass ends, so the live peak is several times the
 * activations a hand-written backward would keep: `backpropOverhead` (default 6) is that factor as measured
 * with tf.profile on the tiny and the 25M model (bench/run.ts prints both numbers). The wasm heap is capped
 * at 4 GiB and never shrinks. On that backend XNNPACK also keeps a packed copy of every weight matrix a product
 * reads (the projections and the LM head; for Qwen2.5-0.5B's 151,936 x 896 head alone 0.51 GiB) for as long as
 * the weight lives: `packedWeightsBytes`, counted in `wasmTotalBytes` only, since tfjs-node keeps no such copy.
 */
import type { ModelConfig } from "@ssb/model";

export interface StepMemory {
  weightsBytes: number;
  trainableBytes: number;
  activationBytes: number;
  lossBytes: number;
  /** Every backend: weights + trainable + activations + loss. */
  totalBytes: number;
  /** XNNPACK's packed copies of the matrices the products read (wasm backend only). */
  packedWeightsBytes: number;
  /** What one step needs of the wasm heap: totalBytes + packedWeightsBytes. */
  wasmTotalBytes: number;
}

export function estimateStepMemory(
  config: ModelConfig,
  shape: { batch: number; length: number; rows: number; loraRank: number; trainable: "lora" | "full" },
  backpropOverhead = 6,
): StepMemory {
  const {
    hiddenSize: e,
    numHeads: h,
    numKvHeads: kv,
    headDim: d,
    intermediateSize: i,
    vocabSize: v,
    numLayers: l,
  } = config;
  const projections = e * h * d + 2 * e * kv * d + h * d * e + 3 * e * i;
  const perLayer = projections + (h + 2 * kv) * d + 2 * e;
  const base = l * perLayer + v * e * (config.tieWordEmbeddings ? 1 : 2) + e;
  const headCopy = config.tieWordEmbeddings && shape.trainable === "lora" ? v * e : 0;
  const loraPerLayer = shape.loraRank * (e + h * d + 2 * (e + kv * d) + (h * d + e) + 2 * (e + i) + (i + e));
  const trainable = shape.trainable === "full" ? base : l * loraPerLayer;
  const tokens = shape.batch * shape.length;
  // Saved per token per layer: residual / norms / projections (~10 E), k and v, the MLP's gate, up, silu
  // parts and product (~7 I), and each head's scores and probabilities over the keys (2 H T).
  const actPerTokenLayer = 10 * e + 2 * kv * d + 7 * i + 2 * h * shape.length;
  const activations =
    backpropOverhead * (tokens * l * actPerTokenLayer + (shape.trainable === "full" ? tokens * v : 0));
  // logits, log-softmax, dense teacher probabilities, their product (and gradients of the same size)
  const loss = 5 * shape.rows * v;
  const bytes = (n: number) => 4 * n;
  const result = {
    weightsBytes: bytes(base + headCopy),
    trainableBytes: bytes(4 * trainable),
    activationBytes: bytes(activations),
    lossBytes: bytes(loss),
    totalBytes: 0,
    packedWeightsBytes: bytes(l * projections + v * e),
    wasmTotalBytes: 0,
  };
  result.totalBytes = result.weightsBytes + result.trainableBytes + result.activationBytes + result.lossBytes;
  result.wasmTotalBytes = result.totalBytes + result.packedWeightsBytes;
  return result;
}
