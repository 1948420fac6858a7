import { describe, expect, it } from "vitest";
import { compareAnswers, isEquivalent } from "./equivalence.js";
import { extractAnswer } from "./extract.js";
import { grade } from "./grade.js";
import { gradeJsonLine } from "./jsonl-grading.js";
import { ALL_EXTRACTION_RULES, type ExtractionRule, type GradeOptions } from "./types.js";

/** Options as a caller without types might pass them (JavaScript, JSON config). */
const loose = (o: Record<string, unknown>): GradeOptions => o as GradeOptions;

describe("answers that are not strings", () => {
  it("extractAnswer reads null and undefined as no answer, and a number as its text", () => {
    expect(extractAnswer(null as unknown as string)).toBeNull();
    expect(extractAnswer(undefined as unknown as string)).toBeNull();
    expect(extractAnswer(5 as unknown as string)).toBeNull();
    expect(extractAnswer(5 as unknown as string, { rules: ["last-number"] })?.answer).toBe("5");
  });

  it("isEquivalent accepts a numeric gold as grade does", () => {
    expect(grade("\\boxed{5}", 5 as unknown as string).correct).toBe(true);
    expect(isEquivalent("5", 5 as unknown as string)).toBe(true);
    expect(isEquivalent(5 as unknown as string, "5.0")).toBe(true);
    expect(isEquivalent("6", 5 as unknown as string)).toBe(false);
    expect(compareAnswers("5", 5 as unknown as string).equivalent).toBe(true);
  });

  it("never equates non-answers (objects, NaN, null)", () => {
    expect(isEquivalent({} as unknown as string, {} as unknown as string)).toBe(false);
    expect(isEquivalent("NaN", Number.NaN as unknown as string)).toBe(false);
    expect(isEquivalent(null as unknown as string, null as unknown as string)).toBe(false);
    expect(grade("\\boxed{5}", null as unknown as string).reason).toBe("empty-gold");
  });
});

describe("unknown extraction rules", () => {
  it("are refused by grade and extractAnswer, listing the valid rules", () => {
    const typo = { rules: ["bxoed" as ExtractionRule] };
    expect(() => grade("#### 7", "7", typo)).toThrow(
      new RangeError(
        `grade: options.rules: unknown rule "bxoed", did you mean "boxed"? (valid rules: ${ALL_EXTRACTION_RULES.join(", ")})`,
      ),
    );
    // No suggestion for a name nothing is near, or for a value that is not a name.
    expect(() => grade("#### 7", "7", { rules: ["magic" as ExtractionRule] })).toThrow(
      /unknown rule "magic" \(valid rules: boxed,/,
    );
    expect(() => grade("#### 7", "7", loose({ rules: [5] }))).toThrow(/unknown rule 5 \(valid rules: boxed,/);
    expect(() => extractAnswer("#### 7", typo)).toThrow(RangeError);
    expect(() => isEquivalent("7", "7", loose(typo))).toThrow(/unknown rule "bxoed"/);
  });

  it("refuse a rule name given as a string or an empty list", () => {
    expect(() => extractAnswer("\\boxed{7}", loose({ rules: "boxed" }))).toThrow(
      /extractAnswer: options\.rules must be an array.*got "boxed"/,
    );
    expect(() => extractAnswer("\\boxed{7}", { rules: [] })).toThrow(/options\.rules is empty/);
  });

  it("accept every known rule", () => {
    expect(grade("#### 7", "7", { rules: ["boxed", "gsm8k"] }).correct).toBe(true);
  });
});

describe("numeric options", () => {
  it.each([
    ["budgetMs NaN", { budgetMs: Number.NaN }, /options\.budgetMs must be a number > 0; got NaN/],
    ["budgetMs 0", { budgetMs: 0 }, /options\.budgetMs/],
    ["budgetMs negative", { budgetMs: -5 }, /options\.budgetMs/],
    ["budgetMs as text", { budgetMs: "50" }, /options\.budgetMs.*got "50"/],
    ["maxAnswerChars 0", { maxAnswerChars: 0 }, /options\.maxAnswerChars must be an integer >= 1; got 0/],
    ["maxAnswerChars fractional", { maxAnswerChars: 2.5 }, /options\.maxAnswerChars/],
    ["maxResponseChars NaN", { maxResponseChars: Number.NaN }, /options\.maxResponseChars/],
    ["relativeTolerance negative", { relativeTolerance: -1 }, /options\.relativeTolerance/],
    [
      "absoluteTolerance infinite",
      { absoluteTolerance: Number.POSITIVE_INFINITY },
      /options\.absoluteTolerance/,
    ],
    [
      "percentAsFraction as text",
      { percentAsFraction: "no" },
      /options\.percentAsFraction must be true or false/,
    ],
    ["rejectHedging as number", { rejectHedging: 0 }, /options\.rejectHedging/],
  ])("%s is refused", (_label, options, message) => {
    expect(() => grade("\\boxed{5}", "5", loose(options))).toThrow(message);
    expect(() => isEquivalent("5", "5", loose(options))).toThrow(message);
  });

  it("refuses options that are not an object", () => {
    expect(() => grade("\\boxed{5}", "5", loose(null as unknown as Record<string, unknown>))).toThrow(
      /grade: options must be an object; got null/,
    );
  });

  it("accepts an infinite budget (no time limit) and valid values", () => {
    expect(grade("\\boxed{5}", "5", { budgetMs: Number.POSITIVE_INFINITY }).correct).toBe(true);
    expect(isEquivalent("5", "5", { maxAnswerChars: 1, relativeTolerance: 0, absoluteTolerance: 0 })).toBe(
      true,
    );
  });
});

describe("unknown option keys", () => {
  it("are refused with a suggestion by grade, isEquivalent, compareAnswers and extractAnswer", () => {
    // `rule` for `rules` used to be ignored: grade then used the default rules and said no-answer.
    expect(() => grade("she has 42", "42", loose({ rule: ["last-number"] }))).toThrow(
      /^grade: unknown option "rule" \(did you mean "rules"\?\); known options: rules, maxResponseChars/,
    );
    expect(() => grade("she has 42", "42", loose({ rule: ["last-number"] }))).toThrow(TypeError);
    expect(() => isEquivalent("5", "5", loose({ relativeTolerence: 0.1 }))).toThrow(
      /^isEquivalent: unknown option "relativeTolerence" \(did you mean "relativeTolerance"\?\)/,
    );
    expect(() => compareAnswers("5", "5", loose({ budget: 10 }))).toThrow(
      /^compareAnswers: unknown option "budget"/,
    );
    expect(() => extractAnswer("#### 5", loose({ Rules: ["boxed"] }))).toThrow(
      /^extractAnswer: unknown option "Rules" \(did you mean "rules"\?\)/,
    );
  });

  it("are refused in a reused options object too, and a key set to undefined is let through", () => {
    const options = loose({ rule: ["last-number"] });
    expect(() => grade("she has 42", "42", options)).toThrow(/unknown option "rule"/);
    expect(() => grade("she has 42", "42", options)).toThrow(/unknown option "rule"/);
    expect(grade("she has 42", "42", loose({ rule: undefined, rules: ["last-number"] })).correct).toBe(true);
  });

  it("accept every grade option in every function, so one options object fits them all", () => {
    const all: GradeOptions = {
      rules: ["boxed", "last-number"],
      maxResponseChars: 1000,
      relativeTolerance: 1e-6,
      absoluteTolerance: 0,
      percentAsFraction: true,
      budgetMs: 50,
      maxAnswerChars: 100,
      rejectHedging: true,
    };
    expect(grade("she has 42", "42", all).correct).toBe(true);
    expect(isEquivalent("42", "42.0", all)).toBe(true);
    expect(compareAnswers("42", "42.0", all).equivalent).toBe(true);
    expect(extractAnswer("she has 42", all)?.answer).toBe("42");
  });

  it("gradeJsonLine takes its field names with the grade options, and refuses a misspelled one", () => {
    const line = JSON.stringify({ text: "she has 42", answer: "42" });
    const options = { responseField: "text", goldField: "answer", rules: ["last-number" as const] };
    expect(gradeJsonLine(line, 1, "in.jsonl", options)).toMatchObject({
      ok: true,
      result: { correct: true },
    });
    expect(() => gradeJsonLine(line, 1, "in.jsonl", loose({ goldfield: "answer" }))).toThrow(
      /^gradeJsonLine: unknown option "goldfield" \(did you mean "goldField"\?\)/,
    );
  });
});
