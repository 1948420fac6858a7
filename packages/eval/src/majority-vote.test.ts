import { describe, expect, it } from "vitest";
import { classScores, majAtK, voteClasses, voteScore } from "./majority-vote.js";
import { mulberry32 } from "./prng.js";

// A toy equivalence: numbers compare by value ("0.5" = "1/2"), anything else as text.
const value = (s: string) => {
  const m = /^(-?\d+)\/(\d+)$/.exec(s);
  return m ? Number(m[1]) / Number(m[2]) : Number(s);
};
const equivalent = (a: string, b: string) => {
  const x = value(a);
  const y = value(b);
  return Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) < 1e-9 : a === b;
};

describe("voteClasses", () => {
  it("groups equivalent answers and lets missing answers abstain", () => {
    const c = voteClasses(["1/2", "3", null, "0.5", "3.0", ""], equivalent);
    expect(c.representatives).toEqual(["1/2", "3"]);
    expect(c.classOf).toEqual([0, 1, -1, 0, 1, -1]);
  });
});

describe("voteScore", () => {
  it("a clear majority decides", () => {
    expect(voteScore([0, 0, 1], [true, false])).toBe(1);
    expect(voteScore([0, 0, 1], [false, true])).toBe(0);
  });
  it("ties share credit: t tied classes, the correct one among them scores 1/t", () => {
    expect(voteScore([0, 1], [true, false])).toBe(0.5);
    expect(voteScore([0, 1, 2], [false, false, true])).toBeCloseTo(1 / 3, 15);
    expect(voteScore([0, 0, 1, 1, 2], [false, true, true])).toBe(0.5); // class 2 is not tied for the top
  });
  it("abstentions do not vote; all abstaining is wrong", () => {
    expect(voteScore([-1, -1, 0], [true])).toBe(1);
    expect(voteScore([-1, -1], [])).toBe(0);
  });
});

describe("majAtK", () => {
  // Samples: answers A (correct) A B B C. Classes 0=A(correct), 1=B, 2=C.
  const classOf = [0, 0, 1, 1, 2];
  const correct = [true, false, false];

  it("k = n is one vote over all samples (a tie between A and B here)", () => {
    expect(majAtK(classOf, correct, 5)).toBe(0.5);
  });

  it("k = 1 equals the share of samples in correct classes", () => {
    expect(majAtK(classOf, correct, 1)).toBeCloseTo(2 / 5, 15);
  });

  it("k = 2 averages the 10 pairs, hand-counted", () => {
    // Pairs: AA(1) ×1; AB (tie, 1/2) ×4; AC (tie, 1/2) ×2; BB(0) ×1; BC (tie, 0) ×2 → (1 + 2 + 1) / 10.
    expect(majAtK(classOf, correct, 2)).toBeCloseTo(0.4, 15);
  });

  it("k = 3 averages the 10 triples, hand-counted", () => {
    // Triples with AA+x: AAB ×2, AAC ×1 → 3 × 1. With BB+x: ABB ×2, BBC ×1 → 0. ABC ×4 (3-way tie) → 4 × 1/3.
    expect(majAtK(classOf, correct, 3)).toBeCloseTo((3 + 4 / 3) / 10, 15);
  });

  it("samples subsets when there are too many, close to the exact value", () => {
    const big = Array.from({ length: 20 }, (_, i) => (i < 8 ? 0 : i < 14 ? 1 : 2));
    const exact = majAtK(big, [true, false, false], 5, { maxSubsets: 100_000 });
    const sampled = majAtK(big, [true, false, false], 5, { maxSubsets: 4000, rng: mulberry32(7) });
    expect(Math.abs(sampled - exact)).toBeLessThan(0.03);
  });

  it("rejects k outside 1..n", () => {
    expect(() => majAtK([0, 1], [true, false], 3)).toThrow(RangeError);
  });
});

describe("voteClasses input checks", () => {
  it("names the entry that is neither a string nor null", () => {
    const answers = [undefined, "5"] as unknown as (string | null)[];
    expect(() => voteClasses(answers, (a, b) => a === b)).toThrow(
      "voteClasses: answers[0] is undefined; expected a string or null (null = no answer)",
    );
    expect(() => voteClasses(["5", 5 as unknown as string], (a, b) => a === b)).toThrow(
      /answers\[1\] is number/,
    );
  });
});

describe("classScores", () => {
  it("scores each class by the share of its records graded correct; abstentions belong to no class", () => {
    // Class 0: correct, wrong (a hedged copy of the gold) -> 1/2; class 1: wrong -> 0.
    expect(classScores([0, 0, 1, -1], [true, false, false, false], 2)).toEqual([0.5, 0]);
  });

  it("makes maj@1 equal pass@1 for any verdicts", () => {
    const classOf = [0, 0, 1, 0, 2, -1];
    const correct = [true, false, false, true, true, false];
    const scores = classScores(classOf, correct, 3);
    expect(majAtK(classOf, scores, 1)).toBeCloseTo(3 / 6, 12);
  });

  it("refuses verdicts that do not match the class ids", () => {
    expect(() => classScores([0, 1], [true], 2)).toThrow(/2 class ids but 1 verdicts/);
  });
});
