import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { affectedStage } from "./run-pipeline.js";

describe("affectedStage", () => {
  it("finds the earliest stage a config change invalidates", () => {
    expect(affectedStage(DEFAULT_CONFIG, DEFAULT_CONFIG)).toBeNull();
    const evalOnly = { ...DEFAULT_CONFIG, eval: { ...DEFAULT_CONFIG.eval, maxNewTokens: 10 } };
    expect(affectedStage(DEFAULT_CONFIG, evalOnly)).toEqual({ stage: "eval", field: "eval" });
    const both = { ...evalOnly, rollout: { ...DEFAULT_CONFIG.rollout, samples: 8 } };
    expect(affectedStage(DEFAULT_CONFIG, both)).toEqual({ stage: "rollout", field: "rollout" });
    expect(affectedStage(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, threads: 4 })).toBeNull();
  });
});
