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

  it("uses the exact test for few discordant problems and chi-square with continuity correction beyond", () => {
    const small = mcnemarTest(2, 9);
    expect(small.method).toBe("exact-binomial");
    // 2 * (1 + 11 + 55) / 2048
    expect(small.pValue).toBeCloseTo((2 * 67) / 2048, 12);
    const large = mcnemarTest(10, 30);
    expect(large.method).toBe("chi-square-cc");
    expect(large.statistic).toBeCloseTo(361 / 40, 12); // (|10-30| - 1)^2 / 40
    expect(large.pValue).toBeCloseTo(0.002663, 5);
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
