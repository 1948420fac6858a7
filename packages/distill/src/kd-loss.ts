/**
 * The training objective on one (micro-)batch: a divergence between teacher and student at temperature T,
 * times T² (so gradient magnitudes do not shrink as 1/T², Hinton et al.), reduced with per-row weights, plus an
 * optional weighted cross-entropy on the reply tokens. SFT is the same call with kdWeight 0 and ceWeight 1.
 */

import { crossEntropy } from "./loss-ce.js";
import { forwardKl } from "./loss-forward-kl.js";
import { jsd } from "./loss-jsd.js";
import { reverseKl } from "./loss-reverse-kl.js";
import type { TeacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

export type Divergence = "forward-kl" | "reverse-kl" | "jsd";

export interface KdLossOptions {
  divergence: Divergence;
  temperature: number;
  /** Multiply the divergence by T² (default true, as in the paper). */
  scaleByTemperatureSquared?: boolean;
  /** Weight of the divergence term (0 for pure SFT). */
  kdWeight?: number;
  /** Weight of the cross-entropy term on the target tokens (0 = none). */
  ceWeight?: number;
}

export interface KdLossParts {
  loss: tf.Scalar;
  /** Weighted divergence (times T² when scaled), or null when not computed. */
  kd: tf.Scalar | null;
  ce: tf.Scalar | null;
}

const DIVERGENCES: Record<
  Divergence,
  (s: tf.Tensor2D, t: TeacherTargets, temperature: number) => tf.Tensor1D
> = {
  "forward-kl": forwardKl,
  "reverse-kl": reverseKl,
  jsd: (s, t, temperature) => jsd(s, t, temperature),
};

/**
 * `weights` [R] (see reduction.ts) turn per-row values into the batch loss. `teacher` may be null only when
 * kdWeight is 0; `targets` (the reply tokens) are needed when ceWeight > 0.
 */
export function kdLoss(
  studentLogits: tf.Tensor2D,
  teacher: TeacherTargets | null,
  targets: Int32Array | null,
  weights: Float32Array,
  options: KdLossOptions,
): KdLossParts {
  const kdWeight = options.kdWeight ?? 1;
  const ceWeight = options.ceWeight ?? 0;
  const w = tf.tensor1d(weights);
  let kd: tf.Scalar | null = null;
  let ce: tf.Scalar | null = null;
  if (kdWeight > 0) {
    if (!teacher) throw new Error("kdLoss: a divergence term needs teacher top-k targets");
    const perRow = DIVERGENCES[options.divergence](studentLogits, teacher, options.temperature);
    const t2 = options.scaleByTemperatureSquared === false ? 1 : options.temperature ** 2;
    kd = tf.mul(tf.sum(tf.mul(perRow, w)), t2) as tf.Scalar;
  }
  if (ceWeight > 0) {
    if (!targets) throw new Error("kdLoss: the cross-entropy term needs target token ids");
    ce = tf.sum(tf.mul(crossEntropy(studentLogits, targets), w)) as tf.Scalar;
  }
  let loss: tf.Scalar = tf.scalar(0);
  if (kd) loss = tf.add(loss, tf.mul(kd, kdWeight));
  if (ce) loss = tf.add(loss, tf.mul(ce, ceWeight));
  return { loss, kd, ce };
}
