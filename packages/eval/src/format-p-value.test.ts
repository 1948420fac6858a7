import { describe, expect, it } from "vitest";
import { formatPValue } from "./report-notes.js";

describe("formatPValue", () => {
  it("gives three significant digits", () => {
    expect(formatPValue(9.6e-5)).toBe("0.0000960");
    expect(formatPValue(0.0312)).toBe("0.0312");
    expect(formatPValue(0.5)).toBe("0.500");
    expect(formatPValue(1)).toBe("1.00");
    expect(formatPValue(0)).toBe("< 1e-300");
  });

  it("never rounds a p-value onto a significance level it is below (0.04999 is not 0.0500)", () => {
    expect(formatPValue(0.04999)).toBe("0.04999");
    expect(formatPValue(0.0499996)).toBe("0.0499996");
    expect(formatPValue(0.009996)).toBe("0.009996");
    expect(formatPValue(0.000999951)).toBe("0.00099995");
    // At or above a level, or rounding down away from it: three digits.
    expect(formatPValue(0.05)).toBe("0.0500");
    expect(formatPValue(0.050004)).toBe("0.0500");
    expect(formatPValue(0.04994)).toBe("0.0499");
  });
});
