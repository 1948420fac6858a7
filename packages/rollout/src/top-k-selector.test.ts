/**
 * onnxruntime's TopK against the JavaScript scan: same ids, values and order, ties included (lower id
 * first), for k from 1 to the whole row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topK } from "./logit-math.js";
import { rowTop, TopKSelector } from "./top-k-selector.js";

let selector: TopKSelector;
beforeAll(async () => {
  selector = await TopKSelector.create(1);
});
afterAll(async () => {
  await selector.close();
});

/** Rows of logits rounded to a coarse grid, so many values tie. */
function rows(count: number, vocab: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(count * vocab);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = Math.round(((s >>> 8) / 2 ** 24) * 40 - 20) / 4;
  }
  out[3] = Number.NEGATIVE_INFINITY;
  return out;
}

describe("TopKSelector", () => {
  it("matches topK() row by row, ties by lower id", async () => {
    const vocab = 300;
    const logits = rows(7, vocab, 11);
    for (const k of [1, 2, 21, 51, vocab]) {
      const batch = await selector.select(logits, 7, vocab, k);
      expect(batch.k).toBe(k);
      for (let r = 0; r < 7; r++) {
        const want = topK(logits.subarray(r * vocab, (r + 1) * vocab), k);
        const got = rowTop(batch, r);
        expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
        expect(Array.from(got.values)).toEqual(Array.from(want.values));
      }
    }
  });

  it("rejects k outside [1, vocab] and a logits length that is not rows x vocab", async () => {
    const logits = rows(2, 10, 1);
    await expect(selector.select(logits, 2, 10, 0)).rejects.toThrow(/k must be an integer in \[1, 10\]/);
    await expect(selector.select(logits, 2, 10, 11)).rejects.toThrow(/k must be an integer/);
    await expect(selector.select(logits, 3, 10, 2)).rejects.toThrow(/20 logits is not 3 rows x 10/);
  });
});
