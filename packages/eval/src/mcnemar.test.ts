import { describe, expect, it } from "vitest";
import { chiSquare1Sf, erfc, exactBinomialTwoSided, mcnemarTest } from "./mcnemar.js";

describe("McNemar", () => {
  it("exact binomial p-values, hand-computed", () => {
    // b=1, c=6: 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8 / 128
    expect(exactBinomialTwoSided(1, 6)).toBeCloseTo(0.125, 12);
    // b=0, c=5: 2 / 32
    expect(exactBinomialTwoSided(0, 5)).toBeCloseTo(0.0625, 12);
    expect(exactBinomialTwoSided(3, 3)).toBe(1);
    expect(exactBinomialTwoSided(0, 0)).toBe(1);
  });

  it("uses the exact test for few discordant problems, and chi-square with continuity correction only when asked", () => {
    const small = mcnemarTest(2, 9);
    expect(small.method).toBe("exact-binomial");
    // 2 * (1 + 11 + 55) / 2048
    expect(small.pValue).toBeCloseTo((2 * 67) / 2048, 12);
    const large = mcnemarTest(10, 30, 25);
    expect(large.method).toBe("chi-square-cc");
    expect(large.statistic).toBeCloseTo(361 / 40, 12); // (|10-30| - 1)^2 / 40
    expect(large.pValue).toBeCloseTo(0.002663, 5);
  });

  it("stays exact for many and very unbalanced discordant pairs (scipy.stats.binomtest values)", () => {
    // 0 vs 30: 2 / 2^30. The chi-square approximation, used from 25 pairs on before, said 1.19e-7.
    const unbalanced = mcnemarTest(0, 30);
    expect(unbalanced.method).toBe("exact-binomial");
    expect(unbalanced.pValue).toBe(2 / 2 ** 30);
    // 20 vs 54 (the README's example): chi-square-cc said 1.25e-4.
    expect(mcnemarTest(20, 54).pValue).toBeCloseTo(9.612986582365388e-5, 15);
    const rel = (got: number, want: number) => Math.abs(got / want - 1);
    expect(rel(mcnemarTest(400, 700).pValue, 1.1735888055606002e-19)).toBeLessThan(1e-9);
    // Past n = 1000 (2^-n underflows): logs for the largest term, ratios for the rest.
    expect(rel(mcnemarTest(3000, 3200).pValue, 0.011488253770871584)).toBeLessThan(1e-9);
    const start = performance.now();
    expect(rel(exactBinomialTwoSided(49500, 50500), 0.0015823598788515154)).toBeLessThan(1e-8);
    expect(performance.now() - start).toBeLessThan(500);
    expect(exactBinomialTwoSided(0, 2000)).toBe(0); // 2^-1999: below the smallest double
    expect(exactBinomialTwoSided(1500, 1500)).toBe(1);
  });

  it("chi-square(1) survival function and erfc against known values", () => {
    expect(chiSquare1Sf(3.841458820694124)).toBeCloseTo(0.05, 6);
    expect(chiSquare1Sf(6.634896601021214)).toBeCloseTo(0.01, 6);
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 7);
  });
});

describe("McNemar input checks", () => {
  it("refuses counts that are not non-negative integers", () => {
    const s = (v: string) => v as unknown as number;
    expect(() => mcnemarTest(s("10"), s("5"))).toThrow(
      'mcnemarTest: onlyA must be a non-negative integer count (got string "10")',
    );
    expect(() => mcnemarTest(-5, 3)).toThrow(
      "mcnemarTest: onlyA must be a non-negative integer count (got -5)",
    );
    expect(() => mcnemarTest(2.5, 1)).toThrow(/onlyA .*got 2\.5/);
    expect(() => mcnemarTest(1, Number.NaN)).toThrow(/onlyB .*got NaN/);
    expect(() => exactBinomialTwoSided(-1, 2)).toThrow(/exactBinomialTwoSided: b must be/);
    expect(mcnemarTest(0, 0).pValue).toBe(1);
  });
});
