/**
 * The corrupt-gradient guard in the training loop: a finite gradient norm far beyond the run's (what the wasm
 * backend's XNNPACK returns when short of heap) stops the run before the update is applied. The norm is
 * inflated here through @ssb/distill's globalNorm, which the loop measures gradients with.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CorruptGradientError } from "@ssb/distill";
import { afterAll, describe, expect, it, vi } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import type { GroupRewardFunction } from "./rewards.js";
import { runGrpo } from "./run-grpo.js";

let normCalls = 0;
vi.mock("@ssb/distill", async (importOriginal) => {
  const original = await importOriginal<typeof import("@ssb/distill")>();
  return {
    ...original,
    // The second gradient measured comes back as XNNPACK's corrupt products did: 1e11 times too large.
    globalNorm: (grads: Parameters<typeof original.globalNorm>[0]) => {
      normCalls++;
      const norm = original.globalNorm(grads);
      return normCalls === 2 ? norm * 1e11 : norm;
    },
  };
});

const evenShare: GroupRewardFunction = (_problem, completions) => {
  const rewards = completions.map((c) => c.tokenIds.filter((t) => t % 2 === 0).length / c.tokenIds.length);
  return { rewards, correct: rewards.map((r) => r > 0.5) };
};

let tmp = "";
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("runGrpo's corrupt-gradient guard", () => {
  it("stops at the update whose norm is absurd, before applying it, naming the last checkpoint", async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-guard-"));
    const outDir = path.join(tmp, "run");
    const problems = Array.from({ length: 4 }, (_, i) => ({ id: `q${i}`, question: `${i}?`, answer: "0" }));
    const config = resolveGrpoConfig({
      seed: 3,
      steps: 4,
      problemsPerStep: 2,
      groupSize: 4,
      sampling: { maxNewTokens: 8 },
      lora: { r: 4, alpha: 8 },
      checkpointEvery: 1,
    });
    const run = runGrpo({
      modelDir: tinyRef,
      problems,
      outDir,
      config,
      reward: evenShare,
      backend: "wasm",
      progress: false,
      log: () => {},
    });
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptGradientError);
    expect((error as CorruptGradientError).message).toMatch(
      /gradient norm .* is over 1e\+6 times the run's typical .*XNNPACK/,
    );
    expect(normCalls).toBe(2);
    // The first update was checkpointed; the refused one was not.
    expect((error as CorruptGradientError).lastCheckpoint).not.toBeNull();
    expect(existsSync((error as CorruptGradientError).lastCheckpoint as string)).toBe(true);
  }, 120_000);
});
