import { describe, expect, it } from "vitest";
import { maxOf, minOf } from "./extrema.js";

describe("minOf / maxOf", () => {
  it("match Math.min / Math.max, including empty and NaN", () => {
    expect(minOf([3, 1, 2])).toBe(1);
    expect(maxOf([3, 1, 2])).toBe(3);
    expect(minOf([])).toBe(Number.POSITIVE_INFINITY);
    expect(maxOf([])).toBe(Number.NEGATIVE_INFINITY);
    expect(maxOf([1, Number.NaN])).toBeNaN();
  });

  it("handle arrays too large to spread into arguments", () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(() => Math.max(...big)).toThrow(RangeError);
    expect(maxOf(big)).toBe(999_999);
    expect(minOf(big)).toBe(0);
  });
});
