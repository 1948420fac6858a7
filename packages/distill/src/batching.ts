/**
 * The order of training: seeded shuffles per epoch, optional length bucketing (examples of similar length
 * share a micro-batch, so less compute goes to padding), and the grouping of micro-batches into optimizer
 * steps (gradient accumulation). The whole plan depends only on (seed, lengths, settings), so a resumed run
 * recomputes it instead of storing it.
 */

import type { DecoderInput, RowSegment } from "./model.js";
import { createRng, shuffled } from "./rng.js";
import type { TopkRowsInput } from "./teacher-targets.js";
import type { TrainingExample } from "./training-example.js";

export interface BatchPlanOptions {
  batchSize: number;
  gradAccumSteps: number;
  epochs: number;
  seed: number;
  bucketByLength: boolean;
  /**
   * Bucketing window in optimizer steps: sort by length within windows of this many steps' examples
   * (default 50, transformers' megabatch of 50 x train_batch_size x gradient_accumulation_steps).
   */
  bucketWindow?: number;
}

export interface PlannedStep {
  epoch: number;
  /** Micro-batches (example indices) whose gradients are summed into this step. */
  microBatches: number[][];
}

/**
 * One epoch's steps. The unit of shuffling and bucketing is the optimizer step (batchSize x gradAccumSteps
 * examples), split into micro-batches afterwards: so batch 4 x accumulation 1 and batch 1 x accumulation 4
 * train on the same examples in every step, and bucketing groups similar lengths into a step whatever the
 * split (as transformers' LengthGroupedSampler, given train_batch_size x gradient_accumulation_steps). It
 * used to bucket micro-batches, which at batch 1 sorted nothing into steps and made the steps of 1 x 4 other
 * examples than those of 4 x 1.
 */
function stepsForEpoch(lengths: readonly number[], options: BatchPlanOptions, epoch: number): number[][][] {
  const rng = createRng(options.seed, "epoch", epoch);
  const order = shuffled(
    lengths.map((_, i) => i),
    rng,
  );
  const size = options.batchSize;
  const perStep = size * options.gradAccumSteps;
  const split = (group: number[]): number[][] => {
    const micro: number[][] = [];
    for (let i = 0; i < group.length; i += size) micro.push(group.slice(i, i + size));
    return micro;
  };
  const groups: number[][] = [];
  if (!options.bucketByLength) {
    for (let i = 0; i < order.length; i += perStep) groups.push(order.slice(i, i + perStep));
    return groups.map(split);
  }
  const window = perStep * (options.bucketWindow ?? 50);
  for (let w = 0; w < order.length; w += window) {
    const chunk = order
      .slice(w, w + window)
      .sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
    for (let i = 0; i < chunk.length; i += perStep) groups.push(chunk.slice(i, i + perStep));
  }
  // Shuffle the steps so that lengths do not rise monotonically through the epoch.
  return shuffled(groups, rng).map(split);
}

export function planSteps(lengths: readonly number[], options: BatchPlanOptions): PlannedStep[] {
  if (lengths.length === 0) throw new Error("no training examples");
  if (!(options.batchSize >= 1 && options.gradAccumSteps >= 1 && options.epochs >= 1)) {
    throw new Error(
      `batchSize, gradAccumSteps and epochs must be >= 1 (found ${options.batchSize}, ${options.gradAccumSteps}, ${options.epochs})`,
    );
  }
  const steps: PlannedStep[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const microBatches of stepsForEpoch(lengths, options, epoch)) steps.push({ epoch, microBatches });
  }
  return steps;
}

export interface CollatedBatch {
  input: DecoderInput;
  rows: RowSegment[];
  /** Trained rows per sequence, in row order. */
  rowCounts: number[];
  /** [R] target ids. */
  targets: Int32Array;
  /** Concatenated teacher rows, or null when the examples carry none. */
  teacher: TopkRowsInput | null;
  /** Real (non-pad) tokens in the batch. */
  tokens: number;
}

/** Right-padded batch (pads are after every real token, so the causal mask alone keeps them out). */
export function collate(examples: readonly TrainingExample[], padId = 0): CollatedBatch {
  const length = Math.max(...examples.map((e) => e.inputIds.length));
  const batch = examples.length;
  const inputIds = new Int32Array(batch * length).fill(padId);
  const attentionMask = new Uint8Array(batch * length);
  const rows: RowSegment[] = [];
  const rowCounts: number[] = [];
  let totalRows = 0;
  let tokens = 0;
  examples.forEach((e, b) => {
    inputIds.set(e.inputIds, b * length);
    attentionMask.fill(1, b * length, b * length + e.inputIds.length);
    rows.push({ batch: b, start: e.firstRow, length: e.targets.length });
    rowCounts.push(e.targets.length);
    totalRows += e.targets.length;
    tokens += e.inputIds.length;
  });
  const targets = new Int32Array(totalRows);
  let r = 0;
  for (const e of examples) {
    targets.set(e.targets, r);
    r += e.targets.length;
  }
  let teacher: TopkRowsInput | null = null;
  const first = examples[0]?.teacher;
  if (first) {
    const k = first.k;
    const ids = new Int32Array(totalRows * k);
    const logits = new Float32Array(totalRows * k);
    const lse = new Float32Array(totalRows);
    let at = 0;
    for (const e of examples) {
      const t = e.teacher;
      if (!t || t.k !== k) throw new Error(`example ${e.id}: teacher rows missing or with k != ${k}`);
      ids.set(t.topkIds, at * k);
      logits.set(t.topkLogits, at * k);
      lse.set(t.logSumExp, at);
      at += e.targets.length;
    }
    teacher = { k, topkIds: ids, topkLogits: logits, logSumExp: lse };
  }
  return { input: { inputIds, batch, length, attentionMask }, rows, rowCounts, targets, teacher, tokens };
}
