/**
 * Reading the student's log-probabilities at the teacher's top-k ids without `tf.gather(..., batchDims)`,
 * which returns wrong values on the wasm backend (TFJS-WASM.md), and whose gradient needs a kernel wasm lacks
 * (UnsortedSegmentSum). A custom gradient instead: the forward pass picks the values on the host, the backward
 * pass scatters the upstream gradient into a dense [R, V] tensor. Memory is that of the log-probs themselves;
 * the one-hot [R, k, V] selector this replaced needed k times as much (25 GB at 2,048 rows, k = 20 and Qwen's
 * 151,936-token vocabulary).
 */

import type { TeacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

/** log q at the teacher's ids: [R, k] from log-probs [R, V]. */
export function logProbsAtIds(logq: tf.Tensor2D, targets: TeacherTargets): tf.Tensor2D {
  const [rows, vocab] = logq.shape;
  const { k, ids } = targets;
  if (rows !== targets.rows)
    throw new Error(`logProbsAtIds: ${rows} student rows but ${targets.rows} teacher rows`);
  // customGrad's type lists its save function among the inputs; this function takes the one tensor.
  const pick = tf.customGrad(((x: tf.Tensor) => {
    const all = x.dataSync();
    const picked = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < k; i++) picked[r * k + i] = all[r * vocab + (ids[r * k + i] as number)] as number;
    return {
      value: tf.tensor2d(picked, [rows, k]),
      gradFunc: (dy: tf.Tensor) => {
        const up = dy.dataSync();
        const dense = new Float32Array(rows * vocab);
        // += : an id listed twice in a row (not in a valid store) gets both gradients, as a gather would.
        for (let r = 0; r < rows; r++)
          for (let i = 0; i < k; i++) {
            const at = r * vocab + (ids[r * k + i] as number);
            dense[at] = (dense[at] as number) + (up[r * k + i] as number);
          }
        return tf.tensor2d(dense, [rows, vocab]);
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return pick(logq) as tf.Tensor2D;
}

/** log(1 - sum_i q_i): the student's mass outside the top-k, from its log-probs at the ids [R, k] -> [R]. */
export function tailLogProb(logqAtIds: tf.Tensor2D): tf.Tensor1D {
  const inside = tf.sum(tf.exp(logqAtIds), -1);
  // Clamp: a student that puts (numerically) all its mass on the top-k would give log(0).
  return tf.log(tf.maximum(tf.sub(1, inside), 1e-12)) as tf.Tensor1D;
}

/**
 * The student restricted to the teacher's support (top-k, plus the tail bucket when the targets have one) and
 * renormalised there at `temperature`: log q~ [R, k] or [R, k + 1], from the student's T = 1 log-probs
 * `logq1` [R, V]. Built exactly as the teacher's side (teacher-targets.ts): the k ids' T = 1 logits and one
 * pseudo-token holding the T = 1 mass outside them, all divided by T, then a softmax. So a student equal to
 * the teacher is at divergence 0 at every T. (The student's tail at T used to be its exact mass outside the
 * top-k at T, against the teacher's pseudo-token: at T = 2 a student equal to the teacher was pushed off.)
 * Without a tail this is the student's softmax at T over the k ids. At T = 1 (the default) `logq1` may be
 * log-probs at any temperature: the result is their renormalisation over the support, as before.
 */
export function studentSupportLogProbs(
  logq1: tf.Tensor2D,
  targets: TeacherTargets,
  temperature = 1,
): tf.Tensor2D {
  const atIds = logProbsAtIds(logq1, targets);
  const support = targets.tail
    ? (tf.concat([atIds, tf.expandDims(tailLogProb(atIds), 1)], 1) as tf.Tensor2D)
    : atIds;
  return tf.logSoftmax(temperature === 1 ? support : tf.div(support, temperature)) as tf.Tensor2D;
}

/** Teacher probabilities over the same support, as a constant [R, k] or [R, k + 1] tensor. */
export function teacherSupportProbs(targets: TeacherTargets): tf.Tensor2D {
  const { rows, k } = targets;
  const width = targets.tail ? k + 1 : k;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) out[r * width + i] = targets.probs[r * k + i] as number;
    if (targets.tail) out[r * width + k] = targets.tail[r] as number;
  }
  return tf.tensor2d(out, [rows, width]);
}
