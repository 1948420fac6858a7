import { describe, expect, it } from "vitest";
import { isEquivalent } from "./equivalence.js";
import { grade } from "./grade.js";

const r = String.raw;
// A generous budget, so a loaded machine cannot turn a verdict into "budget exceeded".
const RELAXED = { budgetMs: 2_000 };

// Values float64 cannot hold (overflow, underflow, division by zero) used to collapse onto Infinity or 0 and
// compare equal to their neighbours; a 1e-9 absolute tolerance made every pair of small numbers equal.
describe("numbers at the edges of float64", () => {
  it.each([
    ["10^{400} vs 10^{401}", r`10^{400}`, r`10^{401}`],
    ["2^{2000} vs 2^{2001}", r`2^{2000}`, r`2^{2001}`],
    ["overflow is not infinity", r`10^{400}`, r`\infty`],
    ["1e400 vs 1e401 (written)", "1e400", "1e401"],
    ["1/0 vs 2/0", r`\frac{1}{0}`, r`\frac{2}{0}`],
    ["division by zero is not infinity", r`\frac{1}{0}`, r`\infty`],
    ["10^{-400} vs 10^{-300} (underflow)", r`10^{-400}`, r`10^{-300}`],
    ["1e-400 vs 0 (written underflow)", "1e-400", "0"],
    ["1e-10 vs 0", "1e-10", "0"],
    ["1e-10 vs 2e-10", "1e-10", "2e-10"],
    ["10^{-10} vs 0 (evaluated)", r`10^{-10}`, "0"],
    ["10^{-10} vs 2 times 10^{-10} (evaluated)", r`10^{-10}`, r`2\times10^{-10}`],
    ["factorial overflow", "200!", "201!"],
    ["ln 0 is not -infinity", r`\ln 0`, r`-\infty`],
  ])("not equal: %s", (_label, a, b) => {
    expect(isEquivalent(a, b, RELAXED)).toBe(false);
    expect(isEquivalent(b, a, RELAXED)).toBe(false);
    expect(grade(`\\boxed{${a}}`, b, RELAXED).reason).toBe("not-equivalent");
  });

  it.each([
    ["the same small number", "1e-10", "0.0000000001"],
    ["scientific forms", r`1\times10^{-10}`, "1e-10"],
    ["rounding residue of sin(pi) is zero", r`\sin(\pi)`, "0"],
    ["rounding residue of e^{i pi}+1 is zero", r`e^{i\pi}+1`, "0"],
    ["signed infinity", r`+\infty`, r`\infty`],
    ["relative tolerance still applies", r`\frac{1}{3}`, "0.3333333333"],
    ["large but finite powers", r`2^{100}`, "1267650600228229401496703205376"],
  ])("equal: %s", (_label, a, b) => {
    expect(isEquivalent(a, b, RELAXED)).toBe(true);
  });
});
