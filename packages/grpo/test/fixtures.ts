/** What the grpo tests share: the tiny reference checkpoint beside the repository, and a reward with spread. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { GroupRewardFunction } from "../src/rewards.js";

/** ../shared/fixtures/qwen2-tiny-ref, read only by tests. */
export const tinyRef = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../..",
  "../shared/fixtures/qwen2-tiny-ref",
);

/** Rewards 0, 1, 0, 1, ... in every group (mean 0.5, population std 0.5): every round has something to train. */
export const alternatingRewards: GroupRewardFunction = (_p, completions) => ({
  rewards: completions.map((_, i) => i % 2),
  correct: completions.map((_, i) => i % 2 === 1),
});
