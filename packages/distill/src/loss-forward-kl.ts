/**
 * Forward KL(teacher || student) per row, the paper's distillation loss:
 *   sum_i p_i (log p_i - log q_i),  p = teacher top-k at T (renormalised), log q = log_softmax(student / T)
 * over the FULL vocabulary, read at the teacher's ids. With a tail bucket both sides are k + 1 categories made
 * the same way (the top-k ids and one pseudo-token of the T = 1 mass outside them, at T; see
 * studentSupportLogProbs), and the KL is taken between those.
 * The p log p part is a constant (computed on the host); the gradient comes from -sum_i p_i log q_i, which is
 * a dense [R, V] teacher matrix times the log-probs (no gather).
 */

import { studentSupportLogProbs, teacherSupportProbs } from "./student-topk.js";
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
  const negEntropy = tf.tensor1d(Float32Array.from(targets.negEntropy));
  if (targets.tail) {
    const logQ = studentSupportLogProbs(tf.logSoftmax(studentLogits) as tf.Tensor2D, targets, temperature);
    return tf.sub(negEntropy, tf.sum(tf.mul(teacherSupportProbs(targets), logQ), -1)) as tf.Tensor1D;
  }
  const logq = tf.logSoftmax(tf.div(studentLogits, temperature)) as tf.Tensor2D;
  const dense = tf.tensor2d(denseTeacherProbs(targets, vocab), [rows, vocab]);
  return tf.sub(negEntropy, tf.sum(tf.mul(dense, logq), -1)) as tf.Tensor1D;
}
