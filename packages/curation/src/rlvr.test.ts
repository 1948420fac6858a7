import { describe, expect, it } from "vitest";
import { fakeGrader } from "../test/fakes.js";
import { groupRewards } from "./group-rewards.js";
import { grpoAdvantages } from "./grpo-advantages.js";
import { groupPassAtK, passAtK } from "./pass-at-k.js";
import { verifierGrader } from "./verifier-defaults.js";

/** Brute force pass@k: fraction of k-subsets with at least one correct sample. */
function bruteForce(n: number, c: number, k: number): number {
  let hit = 0;
  let total = 0;
  const rec = (start: number, left: number, anyCorrect: boolean): void => {
    if (left === 0) {
      total++;
      if (anyCorrect) hit++;
      return;
    }
    for (let i = start; i < n; i++) rec(i + 1, left - 1, anyCorrect || i < c);
  };
  rec(0, k, false);
  return hit / total;
}

describe("groupRewards", () => {
  it("scores a group with the verifier: 1 correct, 0 otherwise, configurable", () => {
    const texts = ["\\boxed{18}", "\\boxed{18.0}", "\\boxed{17}", "no answer"];
    const r = groupRewards(texts, "18", verifierGrader);
    expect(r.verdicts).toEqual(["correct", "correct", "wrong", "no-answer"]);
    expect(r.rewards).toEqual([1, 1, 0, 0]);
    expect(r.correct).toEqual([true, true, false, false]);
    const shaped = groupRewards(texts, "18", fakeGrader, { correct: 1, wrong: 0, noAnswer: -0.5 });
    expect(shaped.rewards).toEqual([1, 1, 0, -0.5]);
  });
});

describe("grpoAdvantages", () => {
  it("normalises by group mean and std (population), with epsilon", () => {
    const a = grpoAdvantages([1, 0, 0, 1]);
    // mean 0.5, std 0.5
    for (const [x, e] of a.map((v, i) => [v, [1, -1, -1, 1][i]!] as const)) expect(x).toBeCloseTo(e, 5);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 12);
    const unbiased = grpoAdvantages([1, 0, 0, 1], { unbiasedStd: true });
    expect(unbiased[0]).toBeCloseTo(0.5 / Math.sqrt(1 / 3), 5);
  });

  it("Dr. GRPO keeps the centred rewards without std scaling", () => {
    expect(grpoAdvantages([1, 0, 0, 0], { variant: "dr-grpo" })).toEqual([0.75, -0.25, -0.25, -0.25]);
  });

  it("a uniform group carries no signal and never divides by zero", () => {
    expect(grpoAdvantages([1, 1, 1])).toEqual([0, 0, 0]);
    expect(grpoAdvantages([0, 0], { epsilon: 0 })).toEqual([0, 0].map(() => Number.NaN));
    expect(grpoAdvantages([])).toEqual([]);
    expect(() => grpoAdvantages([1, Number.NaN])).toThrow(/finite/);
  });
});

describe("passAtK", () => {
  it("matches brute-force enumeration", () => {
    for (let n = 1; n <= 8; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) expect(passAtK(n, c, k)).toBeCloseTo(bruteForce(n, c, k), 12);
      }
    }
  });

  it("pass@1 is the fraction correct; edge cases", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(10, 6, 5)).toBe(1);
    expect(groupPassAtK([true, false, false, false], 2)).toBeCloseTo(0.5, 12);
    expect(() => passAtK(4, 1, 5)).toThrow(/k <= n/);
    expect(() => passAtK(4, 5, 1)).toThrow(/c <= n/);
  });
});
