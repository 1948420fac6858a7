import { groupRewards, verifierGrader } from "@ssb/curation";
import { describe, expect, it } from "vitest";
import { PROBLEMS, runLoop, variantArg } from "./verifier-grpo-loop.js";

describe("verifier as an RLVR reward in a GRPO-style loop", () => {
  it("rewards equivalent forms, not hedges or unboxed answers", () => {
    const { candidateRewards } = runLoop({ steps: 1 });
    for (const rewards of candidateRewards) expect(rewards).toEqual([1, 1, 0, 0, 0]);
  });

  it("an unboxed answer gets no reward even when it is right, as with curation's verifierGrader", () => {
    const { candidateRewards } = runLoop({ steps: 0 });
    PROBLEMS.forEach((problem, i) => {
      const unboxed = problem.candidates[4] as string;
      expect(unboxed).not.toContain("\\boxed");
      expect(candidateRewards[i]?.[4]).toBe(0);
      expect(candidateRewards[i]).toEqual(
        groupRewards(problem.candidates, problem.answer, verifierGrader).rewards,
      );
    });
  });

  it.each(["grpo", "dr-grpo", "rloo"] as const)(
    "%s: the mean reward rises and mass moves to correct answers",
    (variant) => {
      const { meanReward, probabilities } = runLoop({ steps: 40, variant, lr: variant === "grpo" ? 0.5 : 2 });
      const first = meanReward.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
      const last = meanReward.slice(-5).reduce((a, b) => a + b, 0) / 5;
      expect(first).toBeLessThan(0.6);
      expect(last).toBeGreaterThan(0.9);
      for (const p of probabilities) expect((p[0] ?? 0) + (p[1] ?? 0)).toBeGreaterThan(0.9);
    },
  );
});

describe("the rlvr command line", () => {
  it('takes one variant (grpo by default) and skips npm\'s "--" separator, which pnpm passes on', () => {
    expect(variantArg([])).toBe("grpo");
    expect(variantArg(["rloo"])).toBe("rloo");
    expect(variantArg(["--", "rloo"])).toBe("rloo");
    expect(variantArg(["--"])).toBe("grpo");
    expect(variantArg(["rloo", "grpo"])).toEqual(["rloo", "grpo"]);
  });
});
