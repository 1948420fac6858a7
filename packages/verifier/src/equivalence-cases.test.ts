/** Runs the hand-written equivalence tables of equivalence-cases.ts. */
import { describe, expect, it } from "vitest";
import { CATEGORIES, KNOWN_DISAGREEMENTS, OPTION_CASES, RELAXED } from "./equivalence-cases.js";
import { isEquivalent } from "./index.js";

describe.each(CATEGORIES)("$name", ({ equal, notEqual }) => {
  it.each(equal)("equal: %s", (_label, predicted, gold) => {
    expect(isEquivalent(predicted, gold, RELAXED)).toBe(true);
  });
  it.each(notEqual)("not equal: %s", (_label, predicted, gold) => {
    expect(isEquivalent(predicted, gold, RELAXED)).toBe(false);
  });
});

describe("options", () => {
  it.each(OPTION_CASES)("%s", (_label, predicted, gold, options, expected) => {
    expect(isEquivalent(predicted, gold, { ...RELAXED, ...options })).toBe(expected);
  });
});

describe("regressions: cases that once disagreed with a careful grader (now fixed)", () => {
  it("lists each case once", () => {
    expect(new Set(KNOWN_DISAGREEMENTS.map((d) => d.label)).size).toBe(KNOWN_DISAGREEMENTS.length);
  });
  for (const d of KNOWN_DISAGREEMENTS) {
    it(`${d.label}: isEquivalent(${JSON.stringify(d.predicted)}, ${JSON.stringify(d.gold)}) should be ${d.expected}`, () => {
      expect(isEquivalent(d.predicted, d.gold, RELAXED)).toBe(d.expected);
    });
  }
});
