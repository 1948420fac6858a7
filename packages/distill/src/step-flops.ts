/**
 * Floating-point operations of one training step, counted from the matmuls actually executed (2 per
 * multiply-add). With frozen base weights only the input gradient of a base projection is computed
 * (dX = dY W^T), not its weight gradient; LoRA's small products run forward, input-gradient and weight-gradient.
 */
import type { ModelConfig } from "@ssb/model";

export interface StepShape {
  batch: number;
  length: number;
  /** Rows that reach the LM head (reply positions). */
  rows: number;
  /** LoRA rank on every projection (0 = none). */
  loraRank: number;
  trainable: "lora" | "full";
}

export function stepFlops(config: ModelConfig, s: StepShape): number {
  const {
    hiddenSize: e,
    numHeads: h,
    numKvHeads: kv,
    headDim: d,
    intermediateSize: i,
    vocabSize: v,
    numLayers,
  } = config;
  const n = s.batch * s.length;
  const projections: [number, number][] = [
    [e, h * d],
    [e, kv * d],
    [e, kv * d],
    [h * d, e],
    [e, i],
    [e, i],
    [i, e],
  ];
  // forward + input gradient (+ weight gradient when the base trains)
  const passes = s.trainable === "full" ? 3 : 2;
  let perLayer = 0;
  for (const [inDim, outDim] of projections) {
    perLayer += passes * 2 * n * inDim * outDim;
    if (s.loraRank > 0) perLayer += 3 * 2 * n * s.loraRank * (inDim + outDim);
  }
  // scores and probabilities x values, forward and two gradients each (full T x T blocks are computed)
  perLayer += 3 * 2 * 2 * s.batch * h * s.length * s.length * d;
  const head = passes * 2 * s.rows * e * v;
  const embedding = s.trainable === "full" ? 2 * 2 * n * v * e : 0; // oneHot @ E and its gradient
  return numLayers * perLayer + head + embedding;
}
