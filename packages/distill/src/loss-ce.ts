/**
 * Cross-entropy per row, -log softmax(logits)[target] at T = 1: the SFT loss, and the optional hard-label term
 * next to KD. The target's log-prob is read with a one-hot product (no gather).
 */
import { tf } from "./tf.js";

export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  const [rows, vocab] = logits.shape;
  if (targets.length !== rows) throw new Error(`crossEntropy: ${rows} rows but ${targets.length} targets`);
  const oneHot = tf.cast(tf.oneHot(tf.tensor1d(targets, "int32"), vocab), "float32");
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
}
