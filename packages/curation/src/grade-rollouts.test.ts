import { expect, it } from "vitest";
import { gradeRollouts } from "./grade-rollouts.js";
import type { Grader } from "./grader.js";

it('counts a wrong verdict without an extracted answer (a verifier timeout) as no answer, not as the answer ""', () => {
  // A grader that fails on some replies the way @ssb/verifier does when its budget runs out.
  const grader: Grader = (text) =>
    text.startsWith("slow")
      ? { verdict: "wrong", extracted: null, reason: "budget-exceeded" }
      : { verdict: text === "1" ? "correct" : "wrong", extracted: text, reason: "test" };
  const graded = gradeRollouts(
    ["slow a", "slow b", "2", "1"].map((text, sampleIndex) => ({ problemId: "p", sampleIndex, text })),
    "1",
    grader,
  );
  expect(graded.map((g) => g.verdict)).toEqual(["no-answer", "no-answer", "wrong", "correct"]);
  expect(graded[0]?.reason).toBe("budget-exceeded");
});
