import { describe, expect, it } from "vitest";
import { formatPercent } from "./format-percent.js";

/**
 * k / n in percent with `digits` decimals, halves away from zero, in exact integer arithmetic; a k / n strictly
 * between 0 and 1 that rounds to 0 or 100 gets more decimals until it does not.
 */
function exactPercent(k: number, n: number, digits: number): string {
  const units = (2n * BigInt(k) * 10n ** BigInt(2 + digits) + BigInt(n)) / (2n * BigInt(n));
  if (k > 0 && k < n && (units === 0n || units === 100n * 10n ** BigInt(digits)))
    return exactPercent(k, n, digits + 1);
  const text = units.toString().padStart(digits + 1, "0");
  return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

describe("formatPercent", () => {
  it("rounds halves away from zero at the shown precision, where toFixed rounded 43.55 down", () => {
    expect((0.4355 * 100).toFixed(1)).toBe("43.5"); // the bug: the double below 43.55
    expect(formatPercent(0.4355)).toBe("43.6");
    expect(formatPercent(871 / 2000)).toBe("43.6");
    expect(formatPercent(-0.4355)).toBe("-43.6");
    expect(formatPercent(0.4345)).toBe("43.5");
    expect(formatPercent(0.0005)).toBe("0.1");
    expect(formatPercent(0.00125, 2)).toBe("0.13");
    expect(formatPercent(0.125, 0)).toBe("13");
    expect(formatPercent(1)).toBe("100.0");
    expect(formatPercent(0)).toBe("0.0");
    expect(formatPercent(0.43549)).toBe("43.5");
    expect(formatPercent(0.434999999)).toBe("43.5");
    expect(formatPercent(-0.0001)).toBe("-0.01");
    expect(formatPercent(Number.NaN)).toBe("n/a");
    expect(formatPercent(Number.POSITIVE_INFINITY)).toBe("n/a");
  });

  it("never shows a fraction strictly between 0 and 1 as 100.0 or 0.0 (1,999 of 2,000 showed as 100.0)", () => {
    expect(formatPercent(999 / 1000)).toBe("99.9");
    expect(formatPercent(1999 / 2000)).toBe("99.95");
    expect(formatPercent(5275 / 5276)).toBe("99.98");
    expect(formatPercent(1 - 1e-7)).toBe("99.99999");
    expect(formatPercent(1 / 5276)).toBe("0.02");
    expect(formatPercent(1 / 2000)).toBe("0.1");
    expect(formatPercent(-1 / 5276)).toBe("-0.02");
    expect(formatPercent(1999 / 2000, 0)).toBe("99.95");
    expect(formatPercent(1)).toBe("100.0");
    expect(formatPercent(0)).toBe("0.0");
    expect(formatPercent(-1)).toBe("-100.0");
  });

  it("matches exact rounding for every count fraction k / n of the usual sample counts", () => {
    for (const n of [30, 120, 500, 1319, 2000, 4000, 5276, 8000]) {
      for (let k = 0; k <= n; k++) {
        for (const digits of [1, 2]) {
          const want = exactPercent(k, n, digits);
          if (formatPercent(k / n, digits) !== want)
            expect(`${k}/${n} -> ${formatPercent(k / n, digits)}`).toBe(want);
        }
      }
    }
  });
});

describe("formatPercent input checks", () => {
  it("refuses digits outside the integers 0..20", () => {
    expect(() => formatPercent(0.5, -1)).toThrow(
      "formatPercent: digits must be an integer from 0 to 20 (got -1)",
    );
    expect(() => formatPercent(0.5, 200)).toThrow(/got 200\)/);
    expect(() => formatPercent(0.5, Number.NaN)).toThrow(/got NaN\)/);
    expect(() => formatPercent(0.5, 1.5)).toThrow(/got 1\.5\)/);
    expect(formatPercent(0.5, 0)).toBe("50");
  });

  it("refuses a value that is not a number; missing values read n/a", () => {
    expect(() => formatPercent("0.5" as unknown as number)).toThrow(
      'formatPercent: value must be a number (got string "0.5")',
    );
    expect(formatPercent(null as unknown as number)).toBe("n/a");
    expect(formatPercent(Number.NaN)).toBe("n/a");
  });
});
