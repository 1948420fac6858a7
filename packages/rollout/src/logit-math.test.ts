/** Whole-row reductions: the radix sort of ids by logit against a comparison sort, and the scan's cost model. */
import { describe, expect, it } from "vitest";
import { kthLargest, orderIdsByLogit, sortIdsByLogit, topK, topKScanCost } from "./logit-math.js";

/** A seeded row with many exact ties, both zeros and a few extremes. */
function tiedRow(length: number): Float32Array {
  let s = 12345;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const row = new Float32Array(length);
  for (let i = 0; i < length; i++) row[i] = Math.round((next() * 8 - 4) * 64) / 64; // 513 distinct values
  row[3] = 0;
  row[4] = -0;
  row[5] = 0;
  row[6] = Number.MAX_VALUE;
  row[7] = -3.4e38;
  row[8] = 1e-40; // subnormal
  row[9] = -1e-40;
  return row;
}

const byComparison = (row: ArrayLike<number>, ids: number[]): number[] =>
  [...ids].sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);

describe("sortIdsByLogit", () => {
  it("orders float32 rows exactly as a comparison sort: highest first, ties by lower id, -0 as +0", () => {
    const row = tiedRow(40_000);
    const all = Array.from({ length: row.length }, (_, i) => i);
    expect(sortIdsByLogit(row, all)).toEqual(byComparison(row, all));
    // Ids in any order, and a subset of the row (what top-p's band passes).
    const subset = all.filter((i) => i % 3 !== 1).reverse();
    expect(sortIdsByLogit(row, subset)).toEqual(byComparison(row, subset));
    // A row that is a view into a larger buffer (a batch's logits).
    const batch = new Float32Array(3 * 1000);
    batch.set(row.subarray(0, 1000), 1000);
    const view = batch.subarray(1000, 2000);
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    expect(sortIdsByLogit(view, ids)).toEqual(byComparison(view, ids));
  });

  it("orders the first n of unsorted typed ids, and rows whose keys share their top bits", () => {
    // Logits in [1, 1.5): one sign and exponent, so the top digit's pass is skipped.
    const narrow = Float32Array.from({ length: 5000 }, (_, i) => 1 + Math.round((i * 7919) % 4096) / 8192);
    const ids = Int32Array.from({ length: 5000 }, (_, i) => (i * 2654435761) % 5000);
    const n = 3000;
    const expected = byComparison(narrow, Array.from(ids.subarray(0, n)));
    expect(Array.from(orderIdsByLogit(narrow, ids, n))).toEqual(expected);
    const row = tiedRow(6000);
    const all = Int32Array.from({ length: 6000 }, (_, i) => 5999 - i);
    expect(Array.from(orderIdsByLogit(row, all, 6000))).toEqual(byComparison(row, Array.from(all)));
  });

  it("sorts short lists and non-float32 rows by comparison", () => {
    const row = Array.from(tiedRow(700));
    const ids = Array.from({ length: 700 }, (_, i) => 699 - i);
    expect(sortIdsByLogit(row, ids)).toEqual(byComparison(row, ids));
    expect(sortIdsByLogit(Float32Array.of(1, 3, 3, 2), [3, 2, 1, 0])).toEqual([1, 2, 3, 0]);
  });
});

describe("topK", () => {
  it("keeps the k largest, highest first, ties by lower id", () => {
    const row = tiedRow(3000);
    const all = Array.from({ length: row.length }, (_, i) => i);
    const expected = byComparison(row, all);
    for (const k of [1, 5, 51, 300]) expect(Array.from(topK(row, k).ids)).toEqual(expected.slice(0, k));
  });
});

describe("kthLargest", () => {
  it("equals the k-th entry of topK, duplicates counted, on tied rows and rows with NaN", () => {
    const row = tiedRow(5000);
    for (const k of [1, 2, 300, 1000, 4999, 5000])
      expect(kthLargest(row, k)).toBe(topK(row, k).values[k - 1]);
    const flat = new Float32Array(600).fill(1.5);
    expect(kthLargest(flat, 600)).toBe(1.5);
    const withNaN = Float32Array.of(3, Number.NaN, 1, 2);
    expect(kthLargest(withNaN, 2)).toBe(topK(withNaN, 2).values[1]);
    expect(() => kthLargest(row, 0)).toThrow(/k must be in/);
  });
});

describe("topKScanCost", () => {
  it("is the scan for small k and grows with k", () => {
    expect(topKScanCost(32_768, 0)).toBe(0);
    expect(topKScanCost(32_768, 1)).toBeLessThan(32_768 * 1.02);
    expect(topKScanCost(256, 51)).toBeGreaterThan(10 * 256);
    expect(topKScanCost(256, 51)).toBeGreaterThan(topKScanCost(256, 21));
  });
});
