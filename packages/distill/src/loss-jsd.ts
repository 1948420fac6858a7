/**
 * Jensen–Shannon divergence per row on the teacher's support (student renormalised there, as in reverse KL):
 *   beta KL(p || m) + (1 - beta) KL(q || m),  m = beta p + (1 - beta) q,  beta = 0.5 by default.
 * Bounded by log 2 and symmetric at beta = 0.5.
 */

import { studentSupportLogProbs, teacherSupportProbs } from "./student-topk.js";
import type { TeacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

export function jsd(
  studentLogits: tf.Tensor2D,
  targets: TeacherTargets,
  temperature: number,
  beta = 0.5,
): tf.Tensor1D {
  const q = tf.exp(studentSupportLogProbs(tf.logSoftmax(studentLogits) as tf.Tensor2D, targets, temperature));
  const p = teacherSupportProbs(targets);
  const m = tf.add(tf.mul(p, beta), tf.mul(q, 1 - beta));
  const logM = tf.log(tf.maximum(m, 1e-30));
  const klP = tf.sum(tf.mul(p, tf.sub(tf.log(tf.maximum(p, 1e-30)), logM)), -1);
  const klQ = tf.sum(tf.mul(q, tf.sub(tf.log(tf.maximum(q, 1e-30)), logM)), -1);
  return tf.add(tf.mul(klP, beta), tf.mul(klQ, 1 - beta)) as tf.Tensor1D;
}
