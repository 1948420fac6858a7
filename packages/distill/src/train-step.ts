/**
 * The gradient half of one optimizer step, shared by the trainer, the benchmark and data-parallel workers:
 * for each micro-batch, forward on the reply rows, loss, and gradients of the trainable variables, summed over
 * the micro-batches. Row weights are computed over the whole step, so accumulated gradients equal those of one
 * large batch.
 */

import { collate } from "./batching.js";
import { kdLoss } from "./kd-loss.js";
import { withSharedTransposes } from "./matmul.js";
import { type DecoderModel, forward } from "./model.js";
import { rowWeights } from "./reduction.js";
import { seedFrom } from "./rng.js";
import { teacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";
import type { TrainConfig } from "./train-config.js";
import type { TrainingExample } from "./training-example.js";

export interface StepGradients {
  /** Summed gradients, aligned with the variables passed in (caller disposes). */
  grads: tf.Tensor[];
  loss: number;
  kl: number;
  ce: number;
  /** Real tokens processed. */
  tokens: number;
  /** Trained rows. */
  rows: number;
}

/**
 * `microBatches` are the examples of each micro-batch; `weights` are the row weights of this share of the step
 * (a data-parallel worker gets the slice for its examples, so the shares add up to the full step).
 */
export function stepGradients(
  model: DecoderModel,
  vars: tf.Variable[],
  microBatches: TrainingExample[][],
  weights: Float32Array,
  config: TrainConfig,
  step: number,
  padId = 0,
): StepGradients {
  let offset = 0;
  let accum: tf.Tensor[] | null = null;
  const out = { loss: 0, kl: 0, ce: 0, tokens: 0, rows: 0 };
  for (const group of microBatches) {
    const batch = collate(group, padId);
    out.tokens += batch.tokens;
    out.rows += batch.targets.length;
    const w = weights.subarray(offset, offset + batch.targets.length);
    offset += batch.targets.length;
    const teacher =
      config.loss.kdWeight > 0 && batch.teacher
        ? teacherTargets(batch.teacher, config.loss.temperature, config.loss.tail)
        : null;
    let parts: tf.Tensor[] = [];
    const { value, grads } = withSharedTransposes(() =>
      tf.variableGrads(() => {
        const logits = forward(model, batch.input, batch.rows, {
          training: true,
          // Per example, not per micro-batch: the split into micro-batches and threads draws the same masks.
          dropoutSeeds: group.map((e) => seedFrom(config.seed, "dropout", step, e.id)),
        });
        const result = kdLoss(logits, teacher, batch.targets, w, config.loss);
        parts = [result.kd ?? tf.scalar(0), result.ce ?? tf.scalar(0)].map((t) => tf.keep(t));
        return result.loss;
      }, vars),
    );
    out.loss += value.dataSync()[0] as number;
    out.kl += parts[0]?.dataSync()[0] as number;
    out.ce += parts[1]?.dataSync()[0] as number;
    for (const t of [value, ...parts]) t.dispose();
    const list = vars.map((v) => grads[v.name] as tf.Tensor);
    if (accum === null) accum = list;
    else {
      const previous: tf.Tensor[] = accum;
      accum = previous.map((a, j) => tf.add(a, list[j] as tf.Tensor));
      for (const t of [...previous, ...list]) t.dispose();
    }
  }
  if (accum === null) throw new Error("stepGradients: no micro-batches");
  return { grads: accum, ...out };
}

/** Row weights for a whole step (all its micro-batches), by the configured reduction. */
export function stepRowWeights(microBatches: TrainingExample[][], config: TrainConfig): Float32Array {
  return rowWeights(
    microBatches.flat().map((e) => e.targets.length),
    config.loss.reduction,
  );
}
