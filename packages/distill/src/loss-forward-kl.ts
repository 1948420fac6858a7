/**
 * Forward KL(teacher || student) per row, the paper's distillation loss:
 *   sum_i p_i (log p_i - log q_i),  p = teacher top-k at T (renormalised), log q = log_softmax(student / T)
 * over the FULL vocabulary, read at the teacher's ids. With a tail bucket the (k+1)-th term compares the
 * teacher's tail with the student's mass outside the top-k, 1 - sum_i q_i.
 * The p log p part is a constant (computed on the host); the gradient comes from -sum_i p_i log q_i, which is
 * a dense [R, V] teacher matrix times the log-probs (no gather).
 */

import { logProbsAtIds, tailLogProb } from "./student-topk.js";
import { denseTeacherProbs, type TeacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

/** [R] forward KL per row. `studentLogits` [R, V] are raw (T = 1) logits. */
export function forwardKl(
  studentLogits: tf.Tensor2D,
  targets: TeacherTargets,
  temperature: number,
): tf.Tensor1D {
  const [rows, vocab] = studentLogits.shape;
  if (rows !== targets.rows)
    throw new Error(`forwardKl: ${rows} student rows but ${targets.rows} teacher rows`);
  const logq = tf.logSoftmax(tf.div(studentLogits, temperature)) as tf.Tensor2D;
  const dense = tf.tensor2d(denseTeacherProbs(targets, vocab), [rows, vocab]);
  let kl = tf.sub(tf.tensor1d(Float32Array.from(targets.negEntropy)), tf.sum(tf.mul(dense, logq), -1));
  if (targets.tail) {
    const tailP = tf.tensor1d(Float32Array.from(targets.tail));
    kl = tf.sub(kl, tf.mul(tailP, tailLogProb(logProbsAtIds(logq, targets))));
  }
  return kl as tf.Tensor1D;
}
