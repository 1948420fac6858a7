import { describe, expect, it } from "vitest";
import { accuracyReward, completionText } from "./reward.js";

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

  it("rejects a named column that is absent", () => {
    expect(() => accuracyReward({ goldColumn: "gold" })({ completions: ["x"], answer: ["1"] })).toThrow(
      /column "gold"/,
    );
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
