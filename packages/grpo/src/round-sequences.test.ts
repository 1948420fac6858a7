/**
 * A round's training set by hand: two groups, one with equal rewards (zero advantage), two completions cut at
 * the token limit. TRL's GRPOTrainer counts zero-advantage completions in the normaliser, and with
 * mask_truncated_completions drops truncated ones from the loss and the token count (not from the sequences).
 */
import { describe, expect, it } from "vitest";
import { type RoundSequenceOptions, roundSequences } from "./round-sequences.js";

const reply = (n: number, finishReason: "stop" | "length") => ({
  promptIds: [1, 2, 3],
  tokenIds: Array.from({ length: n }, (_, i) => 10 + i),
  finishReason,
});
// Group 1: A (4 tokens, +1), B (2 tokens, cut, -1). Group 2, rewards equal: C (3 tokens, 0), D (5 tokens, cut, 0).
const completions = [reply(4, "stop"), reply(2, "length"), reply(3, "stop"), reply(5, "length")];
const advantages = [1, -1, 0, 0];
const base: RoundSequenceOptions = {
  aggregation: "token",
  maxNewTokens: 5,
  maskTruncated: false,
  keepZeroAdvantage: false,
};
const summary = (options: Partial<RoundSequenceOptions>) => {
  const r = roundSequences(completions, advantages, { ...base, ...options });
  return {
    lossTokens: r.lossTokens,
    trained: r.sequences.map((s) => [s.replyIds.length, s.advantage, s.tokenWeight]),
  };
};

describe("roundSequences", () => {
  it("zero-advantage completions count in the normaliser but are not run (no KL term)", () => {
    expect(summary({})).toEqual({
      lossTokens: 14,
      trained: [
        [4, 1, 1 / 14],
        [2, -1, 1 / 14],
      ],
    });
    expect(summary({ aggregation: "sequence" }).trained).toEqual([
      [4, 1, 1 / 16],
      [2, -1, 1 / 8],
    ]);
    expect(summary({ aggregation: "constant" }).trained).toEqual([
      [4, 1, 1 / 20],
      [2, -1, 1 / 20],
    ]);
  });

  it("with a KL term every completion runs, with the same weights", () => {
    expect(summary({ keepZeroAdvantage: true }).trained).toEqual([
      [4, 1, 1 / 14],
      [2, -1, 1 / 14],
      [3, 0, 1 / 14],
      [5, 0, 1 / 14],
    ]);
  });

  it("maskTruncated: cut completions leave the loss and the token count, not the sequence count", () => {
    expect(summary({ maskTruncated: true })).toEqual({ lossTokens: 7, trained: [[4, 1, 1 / 7]] });
    expect(summary({ maskTruncated: true, aggregation: "sequence" }).trained).toEqual([[4, 1, 1 / 16]]);
    expect(summary({ maskTruncated: true, aggregation: "constant" }).trained).toEqual([[4, 1, 1 / 20]]);
    expect(summary({ maskTruncated: true, keepZeroAdvantage: true }).trained).toEqual([
      [4, 1, 1 / 7],
      [3, 0, 1 / 7],
    ]);
  });

  it("refuses advantages that do not match the completions", () => {
    expect(() => roundSequences(completions, [1, -1], base)).toThrow(/2 advantages for 4 completions/);
  });
});
