import { describe, expect, it } from "vitest";
import { gradeRollouts } from "./grade-rollouts.js";
import { groupRewards } from "./group-rewards.js";
import { selectPair } from "./select-pair.js";
import { makeVerifierGrader, verifierEquivalence, verifierGrader } from "./verifier-defaults.js";

describe("@ssb/verifier defaults", () => {
  it("grades boxed answers by equivalence; unboxed is no-answer", () => {
    expect(verifierGrader("so \\boxed{18.00}", "18")).toMatchObject({
      verdict: "correct",
      extracted: "18.00",
    });
    expect(verifierGrader("so \\boxed{17}", "18")).toMatchObject({ verdict: "wrong", extracted: "17" });
    expect(verifierGrader("The answer is 18.", "18").verdict).toBe("no-answer");
    expect(makeVerifierGrader({ rules: ["answer-is"] })("The answer is 18.", "18").verdict).toBe("correct");
    expect(verifierEquivalence("18.00", "18")).toBe(true);
    expect(verifierEquivalence("\\frac{1}{2}", "0.5")).toBe(true);
  });

  it("grades a reasoning model's reply by what follows its thinking", () => {
    // Qwen3 in thinking mode: a tentative box while thinking is not the reply's answer, and a reply cut off
    // inside <think> (a plain string: no finishReason to say so) has none.
    const replies = [
      "<think>\nMaybe \\boxed{12}?\n</think>\n\nThe answer is 14.",
      "<think>\nSo \\boxed{12}. But wait",
      "<think>\nMaybe \\boxed{12}?\n</think>\n\nSo \\boxed{14}.",
      "<think>\n\n</think>\n\n\\boxed{12}",
    ];
    expect(groupRewards(replies, "12", verifierGrader)).toMatchObject({
      verdicts: ["no-answer", "no-answer", "wrong", "correct"],
      extracted: [null, null, "14", "12"],
    });
  });

  it("merges equivalent wrong answers with the real verifier", () => {
    const texts = [
      "\\boxed{20}",
      "\\boxed{18.00}",
      "\\boxed{\\frac{1}{2}}",
      "\\boxed{18}",
      "\\boxed{0.5}",
      "\\boxed{18}",
    ];
    const rollouts = texts.map((text, i) => ({
      problemId: "v",
      sampleIndex: i,
      text,
      finishReason: "stop" as const,
    }));
    const r = selectPair("v", gradeRollouts(rollouts, "20", verifierGrader), {
      equivalence: verifierEquivalence,
    });
    expect(r).toMatchObject({
      kind: "selected",
      chosenWrong: {
        answer: "18.00",
        count: 3,
        groups: 2,
        answers: [
          { answer: "18.00", count: 3 },
          { answer: "\\frac{1}{2}", count: 2 },
        ],
      },
    });
  });
});
