/** What the grpo tests share: the tiny reference checkpoint beside the repository, and a reward with spread. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type DecoderModel, loadDecoder } from "@ssb/distill";
import { loadCheckpoint } from "@ssb/model";
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

/** The tiny reference as a tfjs decoder ready for a LoRA (on the backend the caller selected). */
export async function tinyRefDecoder(): Promise<DecoderModel> {
  const checkpoint = await loadCheckpoint(tinyRef);
  try {
    return await loadDecoder(
      checkpoint.config,
      (n) => checkpoint.weights.readFloat32(n),
      (n) => checkpoint.weights.has(n),
      "lora",
    );
  } finally {
    await checkpoint.close();
  }
}
