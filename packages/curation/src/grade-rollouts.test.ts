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

it("names the rollout whose text is missing instead of grading it as an empty reply", () => {
  const rollouts = [
    { problemId: "p", sampleIndex: 1, text: "\\boxed{1}" },
    { problemId: "p", sampleIndex: 0, completion: "\\boxed{1}" },
  ];
  const grader: Grader = (text) => ({ verdict: "correct", extracted: text, reason: "test" });
  expect(() => gradeRollouts(rollouts as never, "1", grader)).toThrow(
    /gradeRollouts: rollouts\[1\] \(sampleIndex 0\): text must be a string, found nothing/,
  );
  expect(() => gradeRollouts([], undefined as never, grader)).toThrow(/gradeRollouts: gold must be a string/);
  expect(() => gradeRollouts([], "1", grader, { truncatedIsNoAnswr: false } as never)).toThrow(
    /unknown option "truncatedIsNoAnswr"/,
  );
});
