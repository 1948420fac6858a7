import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";
import { reverseKl } from "./loss-reverse-kl.js";
import { logProbsAtIds } from "./student-topk.js";
import { teacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

beforeAll(async () => {
  await selectBackend("wasm", () => {});
});

/** Rows of k distinct ids and descending logits, drawn from a fixed LCG. */
function topkRows(rows: number, k: number, vocab: number, seed: number) {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const topkIds: number[] = [];
  const topkLogits: number[] = [];
  const logSumExp: number[] = [];
  for (let r = 0; r < rows; r++) {
    const ids = new Set<number>();
    while (ids.size < k) ids.add(Math.floor(next() * vocab));
    topkIds.push(...ids);
    const row = Array.from({ length: k }, () => 4 * next()).sort((a, b) => b - a);
    topkLogits.push(...row);
    logSumExp.push((row[0] as number) + Math.log(vocab));
  }
  return { k, topkIds, topkLogits, logSumExp };
}

/** The one-hot selector logProbsAtIds used before: [R, k, V] times the log-probs, summed over V. */
function oneHotPick(logq: tf.Tensor2D, ids: Int32Array, rows: number, k: number): tf.Tensor2D {
  const selector = tf.cast(tf.oneHot(tf.tensor2d(ids, [rows, k], "int32"), logq.shape[1]), "float32");
  return tf.sum(tf.mul(selector, tf.expandDims(logq, 1)), -1) as tf.Tensor2D;
}

describe("logProbsAtIds", () => {
  it("gives the one-hot selector's values and gradients, and so the same reverse-KL gradient with the tail", () => {
    const [rows, k, vocab] = [5, 4, 23];
    const targets = teacherTargets(topkRows(rows, k, vocab, 7), 2, true);
    const z = tf.randomNormal([rows, vocab], 0, 2, "float32", 11) as tf.Tensor2D;
    const weights = tf.randomNormal([rows, k], 0, 1, "float32", 12);
    const viaCustom = tf.valueAndGrad((x: tf.Tensor) =>
      tf.sum(tf.mul(weights, logProbsAtIds(tf.logSoftmax(x as tf.Tensor2D) as tf.Tensor2D, targets))),
    )(z);
    const viaOneHot = tf.valueAndGrad((x: tf.Tensor) =>
      tf.sum(
        tf.mul(weights, oneHotPick(tf.logSoftmax(x as tf.Tensor2D) as tf.Tensor2D, targets.ids, rows, k)),
      ),
    )(z);
    expect(viaCustom.value.dataSync()[0]).toBeCloseTo(viaOneHot.value.dataSync()[0] as number, 5);
    const [a, b] = [viaCustom.grad.dataSync(), viaOneHot.grad.dataSync()];
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i] as number, 6);
    // A loss that reads the student through the support (reverse KL with the tail bucket at T = 2): its
    // gradient against central finite differences of the same loss.
    const loss = (x: tf.Tensor): tf.Scalar => tf.mean(reverseKl(x as tf.Tensor2D, targets, 2)) as tf.Scalar;
    const grad = tf.grad(loss)(z).dataSync();
    const base = z.arraySync();
    const h = 1e-2;
    for (const [r, v] of [
      [0, targets.ids[0] as number],
      [2, targets.ids[2 * k + 1] as number],
      [4, 0],
    ] as const) {
      const shifted = (d: number) => {
        const copy = base.map((row) => [...row]);
        (copy[r] as number[])[v] = ((copy[r] as number[])[v] as number) + d;
        return loss(tf.tensor2d(copy)).dataSync()[0] as number;
      };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      expect(grad[r * vocab + v]).toBeCloseTo(numeric, 3);
    }
  });

  it("needs memory of the log-probs' size, not k times it (a one-hot selector at Qwen's vocabulary took 25 GB)", () => {
    const [rows, k, vocab] = [32, 20, 32_768];
    const targets = teacherTargets(topkRows(rows, k, vocab, 3), 1, true);
    const z = tf.zeros([rows, vocab]) as tf.Tensor2D;
    const logqBytes = rows * vocab * 4;
    const info = tf.profile(() => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(logProbsAtIds(x as tf.Tensor2D, targets)))(z);
      expect(g.dataSync()[targets.ids[0] as number]).toBe(1);
    });
    return info.then((p) => {
      // The selector alone would be k x [R, V] floats (20 times the log-probs).
      expect(p.peakBytes).toBeLessThan(4 * logqBytes);
    });
  });
});
