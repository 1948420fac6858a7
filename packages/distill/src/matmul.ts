/**
 * The one matmul the hot path uses: a plain 2-D product without transpose flags. On the wasm backend a
 * transpose flag or a batched (rank >= 3) matmul falls off XNNPACK's fast path (TFJS-WASM.md), and tfjs' own
 * BatchMatMul gradient uses transpose flags. We register a gradient for BatchMatMul whose 2-D case is an
 * explicit transpose plus a plain product. It is a kernel gradient (lazy, one thunk per input), so tfjs only
 * evaluates the gradients on a path to a trained variable: the [in, out] gradient of a frozen base weight is
 * never computed in LoRA training. Other shapes keep tfjs' formulas (correct, just slower on wasm).
 */
import { tf } from "./tf.js";

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

let registered = false;

/**
 * Transposes shared within one backward pass (see `withSharedTransposes`): q, k and v (and gate and up) read
 * the same normalised input, so their LoRA gradients would each transpose the same [N, in] activation. Keyed by
 * the data, which the engine's saved copies share with the original (wasm-kernels.ts). The repeats come within
 * a few products of each other in the backward pass (each LoRA module adds ~4 transposes, mostly small), so a
 * short list suffices: at most 16 entries, the oldest released first.
 */
interface TransposeCache {
  entries: { data: object; shape: string; value: tf.Tensor2D }[];
}
const CACHE_ENTRIES = 16;
let cache: TransposeCache | null = null;

function transposed(x: tf.Tensor2D): tf.Tensor2D {
  if (cache === null) return tf.transpose(x);
  const shape = x.shape.join("x");
  const hit = cache.entries.find((e) => e.data === x.dataId && e.shape === shape && !e.value.isDisposed);
  if (hit) return hit.value;
  // Kept: each gradient thunk runs in its own tidy, and the next thunk must still find it.
  const value = tf.keep(tf.transpose(x));
  cache.entries.push({ data: x.dataId, shape, value });
  if (cache.entries.length > CACHE_ENTRIES) cache.entries.shift()?.value.dispose();
  return value;
}

/**
 * Run `f` (a gradient computation) with repeated transposes of the same tensor computed once; the shared
 * transposes are released when `f` returns.
 */
export function withSharedTransposes<T>(f: () => T): T {
  const previous = cache;
  const own: TransposeCache = { entries: [] };
  cache = own;
  try {
    return f();
  } finally {
    cache = previous;
    for (const e of own.entries) e.value.dispose();
  }
}

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
          a: () => tf.matMul(g as tf.Tensor2D, transposed(b as tf.Tensor2D)),
          b: () => tf.matMul(transposed(a as tf.Tensor2D), g as tf.Tensor2D),
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
