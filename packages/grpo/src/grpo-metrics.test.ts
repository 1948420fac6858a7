import { describe, expect, it } from "vitest";
import { roundPolicyMetrics } from "./grpo-metrics.js";

describe("roundPolicyMetrics", () => {
  // A round of 4 completions of 4, 2, 3 and 3 tokens (12); the last two form a group of equal rewards (zero
  // advantage). mu = 2; 3 tokens were clipped over the two iterations.
  const round = { completionTokens: 12, iterations: 2, clippedTokens: 3 };

  it("clipFraction is per completion token, as TRL's clip_ratio: the same whether zero-advantage ones ran", () => {
    // beta 0, no logKl: only the 6 tokens with an advantage ran, twice.
    const skipped = roundPolicyMetrics({ ...round, tokensTrained: 12, ratioSum: 12.6, klSum: null });
    // logKl: every completion ran for the KL.
    const all = roundPolicyMetrics({ ...round, tokensTrained: 24, ratioSum: 24.6, klSum: 0.48 });
    expect(skipped.clipFraction).toBe(3 / 24);
    expect(all.clipFraction).toBe(3 / 24);
    expect(skipped.kl).toBeNull();
    expect(all.kl).toBeCloseTo(0.02, 12);
    expect(skipped.ratioMean).toBeCloseTo(1.05, 12);
  });

  it("a round that trained nothing: clip 0, ratio 1, no KL", () => {
    expect(
      roundPolicyMetrics({
        completionTokens: 0,
        iterations: 1,
        clippedTokens: 0,
        tokensTrained: 0,
        ratioSum: 0,
        klSum: 0,
      }),
    ).toEqual({ kl: null, clipFraction: 0, ratioMean: 1 });
  });
});
