import { describe, expect, it } from "vitest";
import { type EvalConfig, validateEvalConfig } from "./run-eval.js";

const base: EvalConfig = {
  benchmarks: ["gsm8k"],
  n: 1,
  seed: 0,
  sampling: { temperature: 0, maxNewTokens: 8 },
};
const withSampling = (sampling: Record<string, unknown>): EvalConfig =>
  ({ ...base, sampling: { ...base.sampling, ...sampling } }) as EvalConfig;

describe("sampling settings in a config", () => {
  it("accepts the edges of every range and leaves optional fields out", () => {
    expect(() => validateEvalConfig(base)).not.toThrow();
    const edges = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1e-9, maxNewTokens: 1 };
    expect(() => validateEvalConfig(withSampling(edges))).not.toThrow();
    expect(() => validateEvalConfig(withSampling({ minP: 1, topP: 1e-9 }))).not.toThrow();
  });

  it("names the field and the range of each bad value", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ temperature: -1 }, "config.sampling.temperature must be a number >= 0, found -1"],
      [{ temperature: undefined }, "config.sampling.temperature must be a number >= 0, found undefined"],
      [{ maxNewTokens: 0 }, "config.sampling.maxNewTokens must be a positive integer, found 0"],
      [{ topK: 2.5 }, "config.sampling.topK must be an integer >= 0, found 2.5"],
      [{ topP: 0 }, "config.sampling.topP must be a number in (0, 1], found 0"],
      [{ topP: "0.9" }, 'config.sampling.topP must be a number in (0, 1], found "0.9"'],
      [{ minP: 1.5 }, "config.sampling.minP must be a number in [0, 1], found 1.5"],
      [{ repetitionPenalty: 0 }, "config.sampling.repetitionPenalty must be a number > 0, found 0"],
      [{ topP: Number.NaN }, "config.sampling.topP must be a number in (0, 1], found null"],
    ];
    for (const [sampling, message] of cases)
      expect(() => validateEvalConfig(withSampling(sampling))).toThrow(message);
  });

  it("refuses an unknown sampling field, as written", () => {
    expect(() => validateEvalConfig(withSampling({ top_p: 0.9 }))).toThrow(
      'config: unknown field "sampling.top_p" (did you mean "sampling.topP"?)',
    );
  });
});
