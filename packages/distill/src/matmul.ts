/**
 * The one matmul the hot path uses: a plain 2-D product without transpose flags. On the wasm backend a
 * transpose flag or a batched (rank >= 3) matmul falls off XNNPACK's fast path (TFJS-WASM.md), and tfjs' own
 * BatchMatMul gradient uses transpose flags. We register a gradient for BatchMatMul whose 2-D case is an
 * explicit transpose plus a plain product. It is a kernel gradient (lazy, one thunk per input), so tfjs only
 * evaluates the gradients on a path to a trained variable: the [in, out] gradient of a frozen base weight is
 * never computed in LoRA training. Other shapes keep tfjs' formulas (correct, just slower on wasm).
 */
import * as tf from "@tensorflow/tfjs";

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

let registered = false;

/** Install the BatchMatMul gradient (once per process; it applies to every tfjs backend). */
export function ensureFastMatMulGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: tf.BatchMatMul,
    inputsToSave: ["a", "b"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
      if (a.rank === 2 && b.rank === 2 && !transposeA && !transposeB) {
        // dA = dY B^T, dB = A^T dY
        return {
          a: () => tf.matMul(g as tf.Tensor2D, tf.transpose(b as tf.Tensor2D)),
          b: () => tf.matMul(tf.transpose(a as tf.Tensor2D), g as tf.Tensor2D),
        };
      }
      if (!transposeA && !transposeB)
        return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB)
        return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB)
        return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  });
}

/** a [m, k] @ b [k, n] -> [m, n], differentiable in both arguments through the fast path. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  ensureFastMatMulGradient();
  return tf.matMul(a, b);
}
