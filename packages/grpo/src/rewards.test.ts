import { describe, expect, it } from "vitest";
import { verifierReward } from "./rewards.js";
import type { SampledCompletion } from "./sample-groups.js";

function completion(text: string, finishReason: SampledCompletion["finishReason"]): SampledCompletion {
  return { problemId: "p", sampleIndex: 0, promptIds: [], tokenIds: [], text, finishReason };
}

describe("verifierReward", () => {
  const reward = verifierReward({ correct: 1, wrong: -0.5, noAnswer: -1 });
  const problem = { id: "p", question: "1 + 17?", answer: "18" };

  it("rewards a boxed right answer, a boxed wrong one and none by the scheme", () => {
    const r = reward(problem, [
      completion("so \\boxed{18}", "stop"),
      completion("so \\boxed{17}", "stop"),
      completion("eighteen", "stop"),
    ]);
    expect(r.rewards).toEqual([1, -0.5, -1]);
    expect(r.correct).toEqual([true, false, false]);
  });

  it("gives a reply cut off at the token limit the no-answer reward, even with a right box before the cut", () => {
    const r = reward(problem, [completion("so \\boxed{18} and then on and on", "length")]);
    expect(r.rewards).toEqual([-1]);
    expect(r.correct).toEqual([false]);
  });
});
