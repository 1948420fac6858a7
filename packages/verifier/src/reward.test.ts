import { describe, expect, it } from "vitest";
import { type AccuracyRewardOptions, accuracyReward, completionText, type RewardInputs } from "./reward.js";

describe("accuracyReward (TRL-shaped)", () => {
  it("rewards correct, wrong and unanswered completions, aligned with the gold column", () => {
    const reward = accuracyReward({ noAnswer: -0.5 });
    const rewards = reward({
      prompts: ["p1", "p2", "p3", "p4"],
      completions: ["... so \\boxed{18}", "I think \\boxed{17}", "no idea", "\\boxed{\\frac{1}{2}}"],
      answer: ["18.00", "18", "18", "0.5"],
    });
    expect(rewards).toEqual([1, 0, -0.5, 1]);
  });

  it("reads conversational completions (last assistant message) and a named gold column", () => {
    const reward = accuracyReward({ goldColumn: "solution", correct: 2 });
    const rewards = reward({
      completions: [
        [{ role: "assistant", content: "The answer is $\\boxed{(1, 2)}$" }],
        [{ role: "assistant", content: "$\\boxed{\\{2, 1\\}}$" }],
      ],
      solution: ["(1,2)", "(1,2)"],
    });
    expect(rewards).toEqual([2, 0]);
  });

  it("gives null where the gold answer is missing", () => {
    const rewards = accuracyReward()({ completions: ["\\boxed{1}", "\\boxed{2}"], answer: ["1", null] });
    expect(rewards).toEqual([1, null]);
  });

  it("gives null where the gold answer is NaN (pandas' missing value), not a wrong verdict", () => {
    const rewards = accuracyReward()({
      completions: ["\\boxed{1}", "\\boxed{2}", "\\boxed{3}"],
      answer: [1, Number.NaN, Number.POSITIVE_INFINITY],
    });
    expect(rewards).toEqual([1, null, null]);
  });

  it("rejects a named column that is absent", () => {
    expect(() => accuracyReward({ goldColumn: "gold" })({ completions: ["x"], answer: ["1"] })).toThrow(
      /column "gold"/,
    );
  });

  it("refuses a gold column whose length differs from the completions'", () => {
    const reward = accuracyReward();
    expect(() => reward({ completions: ["\\boxed{5}", "\\boxed{5}"], answer: ["5"] })).toThrow(
      /column "answer" has 1 entries for 2 completions/,
    );
    expect(() => reward({ completions: ["\\boxed{5}"], answer: ["5", "6"] })).toThrow(/2 entries for 1/);
  });

  it("refuses inputs with no gold column, naming the columns present", () => {
    expect(() => accuracyReward()({ completions: ["\\boxed{5}"], anwser: ["5"] })).toThrow(
      /no gold column .*present: anwser/,
    );
  });

  it("refuses inputs without an array of completions", () => {
    const reward = accuracyReward();
    const bad = (v: unknown) => () => reward(v as RewardInputs);
    expect(bad(undefined)).toThrow(
      /accuracyReward: inputs\.completions must be an array of completions; got undefined/,
    );
    expect(bad({ completions: null, answer: [] })).toThrow(/inputs\.completions .*got null/);
    expect(bad({ completions: "\\boxed{5}", answer: ["5"] })).toThrow(/got string/);
  });

  it("refuses unknown and invalid options when the reward function is made", () => {
    const make = (o: unknown) => () => accuracyReward(o as AccuracyRewardOptions);
    expect(make({ grading: { rule: ["boxed"] } })).toThrow(
      /accuracyReward: options\.grading: unknown option "rule" \(did you mean "rules"\?\)/,
    );
    expect(make({ goldcolumn: "answer" })).toThrow(
      /accuracyReward: unknown option "goldcolumn" \(did you mean "goldColumn"\?\)/,
    );
    expect(make({ grading: { rules: ["bxoed"] } })).toThrow(/unknown rule "bxoed"/);
    expect(make({ grading: { budgetMs: Number.NaN } })).toThrow(/budgetMs/);
    expect(make({ correct: Number.NaN })).toThrow(/options\.correct must be a finite number/);
    expect(make({ goldColumn: 3 })).toThrow(/goldColumn/);
    expect(make({ grading: { rules: ["boxed", "last-number"], budgetMs: 100 } })).not.toThrow();
  });

  it("gives noAnswer for a completion that is neither text nor a conversation", () => {
    const reward = accuracyReward({ noAnswer: -1 });
    expect(reward({ completions: [null as unknown as string, "\\boxed{5}"], answer: ["5", "5"] })).toEqual([
      -1, 1,
    ]);
  });

  it("reports each grade to onGrade", () => {
    const reasons: string[] = [];
    accuracyReward({ onGrade: (r) => reasons.push(r.reason) })({
      completions: ["\\boxed{3} or \\boxed{5}"],
      answer: ["5"],
    });
    expect(reasons).toEqual(["hedged"]);
  });

  it("completionText takes the last assistant turn", () => {
    expect(
      completionText([
        { role: "assistant", content: "first" },
        { role: "user", content: "more" },
        { role: "assistant", content: "second" },
      ]),
    ).toBe("second");
    expect(completionText([])).toBe("");
  });
});
