import type { EvalConfig } from "../src/run-eval.js";

/** Three benchmarks, 12 problems each, 3 samples: 108 samples, a few seconds with the child's 5 ms delay. */
export const resumeConfig: EvalConfig = {
  benchmarks: ["gsm8k", "math500", "aime24"],
  n: 3,
  limit: 12,
  sampling: { temperature: 0.7, topP: 0.95, maxNewTokens: 256 },
  seed: 42,
  promptsPerCall: 4,
  bootstrap: { resamples: 500 },
};
