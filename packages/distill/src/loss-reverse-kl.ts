/**
 * Reverse KL(student || teacher) per row, on the teacher's support: the student is restricted to the top-k ids
 * (plus the tail bucket when present) and renormalised there, since the teacher's probabilities are known only
 * on that support. Mode-seeking: penalises student mass where the teacher has little.
 */

import { studentSupportLogProbs, teacherSupportProbs } from "./student-topk.js";
import type { TeacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

export function reverseKl(
  studentLogits: tf.Tensor2D,
  targets: TeacherTargets,
  temperature: number,
): tf.Tensor1D {
  const logQ = studentSupportLogProbs(tf.logSoftmax(studentLogits) as tf.Tensor2D, targets, temperature);
  const logP = tf.log(teacherSupportProbs(targets));
  return tf.sum(tf.mul(tf.exp(logQ), tf.sub(logQ, logP)), -1) as tf.Tensor1D;
}
