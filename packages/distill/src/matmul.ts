/**
 * The one matmul the hot path uses: a plain 2-D product without transpose flags, whose gradient also uses
 * only plain 2-D products after explicit transposes. On the wasm backend a transpose flag or a batched
 * (rank >= 3) matmul falls off XNNPACK's fast path (see TFJS-WASM.md), and tfjs' own matmul gradient uses
 * those flags.
 */
import * as tf from "@tensorflow/tfjs";

const plainMatMul = tf.customGrad((...args: (tf.Tensor | ((save: tf.Tensor[]) => void))[]) => {
  const a = args[0] as tf.Tensor2D;
  const b = args[1] as tf.Tensor2D;
  const save = args[2] as (tensors: tf.Tensor[]) => void;
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      // dA = dY B^T, dB = A^T dY, each as an explicit transpose plus a plain product.
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
});

/** a [m, k] @ b [k, n] → [m, n], differentiable in both arguments. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return plainMatMul(a, b) as tf.Tensor2D;
}
