import { describe, expect, it } from "vitest";
import { isEquivalent } from "./equivalence.js";
import { grade } from "./grade.js";

describe("Unicode math as models and hand-made files write it", () => {
  it.each([
    ["½", "\\frac12"],
    ["½", "0.5"],
    ["1/2", "½"],
    ["3½", "\\frac{7}{2}"],
    ["−3½", "-3.5"],
    ["¾", "0.75"],
    ["⅒", "0.1"],
    ["6÷3", "2"],
    ["√13", "\\sqrt{13}"],
    ["2√3", "\\sqrt{12}"],
    ["x²+1", "x^2+1"],
    ["10⁻²", "0.01"],
    ["2¹⁰", "1024"],
  ])("%s = %s", (a, b) => {
    expect(isEquivalent(a, b)).toBe(true);
    expect(isEquivalent(b, a)).toBe(true);
  });

  it.each([
    ["½", "\\frac13"],
    ["3½", "1.5"],
    ["x²", "x^3"],
    ["√13", "13"],
    ["¼", "4"],
  ])("%s ≠ %s", (a, b) => {
    expect(isEquivalent(a, b)).toBe(false);
  });

  it("grades a boxed ½ against a LaTeX gold", () => {
    expect(grade("so each gets \\boxed{½} of the pie", "\\frac{1}{2}").correct).toBe(true);
  });
});
