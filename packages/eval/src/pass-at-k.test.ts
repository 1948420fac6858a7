import { describe, expect, it } from "vitest";
import { defaultKs, passAtK } from "./pass-at-k.js";

function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** Closed form 1 - C(n-c, k) / C(n, k), in exact integers, then one division. */
function closedForm(n: number, c: number, k: number): number {
  const total = choose(n, k);
  return 1 - Number(choose(n - c, k)) / Number(total);
}

/** Fraction of all k-subsets of n samples (the first c correct) holding a correct sample. */
function bruteForce(n: number, c: number, k: number): number {
  let hit = 0;
  let all = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
    if (bits !== k) continue;
    all++;
    if ((mask & ((1 << c) - 1)) !== 0) hit++;
  }
  return hit / all;
}

describe("passAtK", () => {
  it("matches the closed form and brute-force enumeration for every n <= 12", () => {
    for (let n = 1; n <= 12; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          const v = passAtK(n, c, k);
          expect(v).toBeCloseTo(closedForm(n, c, k), 12);
          expect(v).toBeCloseTo(bruteForce(n, c, k), 12);
        }
      }
    }
  });

  it("hand-computed values", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 15); // pass@1 = c / n
    expect(passAtK(4, 1, 2)).toBeCloseTo(0.5, 15); // 1 - C(3,2)/C(4,2) = 1 - 3/6
    expect(passAtK(5, 2, 3)).toBeCloseTo(0.9, 15); // 1 - C(3,3)/C(5,3) = 1 - 1/10
    expect(passAtK(3, 0, 3)).toBe(0);
    expect(passAtK(3, 1, 3)).toBe(1);
  });

  it("stays accurate for large n against the closed form", () => {
    expect(passAtK(200, 17, 50)).toBeCloseTo(closedForm(200, 17, 50), 10);
    expect(passAtK(1000, 1, 10)).toBeCloseTo(0.01, 12);
  });

  it("rejects impossible arguments", () => {
    expect(() => passAtK(3, 4, 1)).toThrow(RangeError);
    expect(() => passAtK(3, 1, 4)).toThrow(RangeError);
    expect(() => passAtK(3, 1, 0)).toThrow(RangeError);
    expect(() => passAtK(2.5, 1, 1)).toThrow(RangeError);
  });

  it("default ks are powers of two below n, then n", () => {
    expect(defaultKs(1)).toEqual([1]);
    expect(defaultKs(2)).toEqual([1, 2]);
    expect(defaultKs(8)).toEqual([1, 2, 4, 8]);
    expect(defaultKs(10)).toEqual([1, 2, 4, 8, 10]);
  });
});

describe("defaultKs input checks", () => {
  it("refuses a sample count that is not a non-negative integer", () => {
    expect(() => defaultKs(2.5)).toThrow(
      "defaultKs: n must be a non-negative integer sample count (got 2.5)",
    );
    expect(() => defaultKs(-1)).toThrow(/got -1\)/);
    expect(defaultKs(0)).toEqual([]);
  });
});
