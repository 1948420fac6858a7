import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { budgetClockMs } from "./budget.js";
import { normalizeAnswer, normalizeByRules, TRAILING_WORDS } from "./normalize.js";

/** The trailing-units pattern before it was made linear: the reference TRAILING_WORDS must agree with. */
const BACKTRACKING_PATTERN = /^(.*?[\d}]\s*)((?:\s*[a-zA-Z][a-zA-Z./]*(?:\s*\^\s*\{?\d\}?)?)+)\s*$/;

describe("trailing units", () => {
  it("normalises prose quickly (it took 56 s on this sentence: exponential backtracking)", () => {
    const prose =
      "exits 1 saying nothing was graded for an empty input, or one whose every line is malformed";
    const start = budgetClockMs();
    expect(normalizeAnswer(prose).text).toBe(prose);
    expect(budgetClockMs() - start).toBeLessThan(50);
  });

  it("still strips units as before", () => {
    expect(normalizeAnswer("5 cm^2").text).toBe("5");
    expect(normalizeAnswer("18 dollars").text).toBe("18");
    expect(normalizeAnswer("\\frac{1}{2} inches").text).toBe("\\frac{1}{2}");
  });

  it("matches what the backtracking pattern matched, with the same groups", () => {
    const text = fc
      .array(fc.constantFrom("1", "2", "}", "{", " ", " ", "a", "m", "s", "c", ".", "/", "^", ",", "x"), {
        maxLength: 14,
      })
      .map((cs) => cs.join(""));
    fc.assert(
      fc.property(text, (s) => {
        const before = BACKTRACKING_PATTERN.exec(s);
        const after = TRAILING_WORDS.exec(s);
        expect(after?.slice(0, 3) ?? null).toEqual(before?.slice(0, 3) ?? null);
      }),
      { numRuns: 20_000, seed: 7 },
    );
  });
});

describe("the plain-number short-cut", () => {
  it("gives what the rules give for every plain number (GSM8K's golds and generated ones)", () => {
    const gsm = readFileSync(new URL("../../../data/gsm8k/test.jsonl", import.meta.url), "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { answer: string }).answer.split("####").pop()?.trim() ?? "");
    for (const gold of gsm) expect(normalizeAnswer(gold), gold).toEqual(normalizeByRules(gold));
    const plain = fc
      .tuple(
        fc.constantFrom("", "-", "+", " "),
        fc.stringMatching(/^\d[\d,]{0,12}$/),
        fc.option(fc.stringMatching(/^\.\d{1,6}$/), { nil: "" }),
        fc.constantFrom("", " ", "\n"),
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(plain, (s) => {
        expect(normalizeAnswer(s)).toEqual(normalizeByRules(s));
      }),
      { numRuns: 5_000, seed: 3 },
    );
    // Near misses take the rules: a trailing point, a percent, units.
    expect(normalizeAnswer("5.").text).toBe("5");
    expect(normalizeAnswer("50%")).toEqual({ text: "50", percent: true });
    expect(normalizeAnswer("12 cm").text).toBe("12");
  });
});
