/**
 * TRL's advantages: (r - mean) / (torch.std + 1e-4), the sample (G - 1) std. The default here is the
 * population std + 1e-6 (the committed runs used it); advantageStd "sample" with advantageEpsilon 1e-4 gives
 * TRL's numbers, and before these settings there was no way to get them from a run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alternatingRewards, tinyRef } from "../test/fixtures.js";
import { type GrpoConfigInput, resolveGrpoConfig, trajectoryKey } from "./grpo-config.js";
import type { GrpoStepMetrics } from "./grpo-metrics.js";
import { runGrpo } from "./run-grpo.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-trl-adv-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const oneRound = async (name: string, extra: GrpoConfigInput): Promise<GrpoStepMetrics> => {
  const result = await runGrpo({
    modelDir: tinyRef,
    problems: [{ id: "a", question: "1 + 1?", answer: "2" }],
    outDir: path.join(tmp, name),
    config: resolveGrpoConfig({
      steps: 1,
      problemsPerStep: 1,
      groupSize: 4,
      sampling: { maxNewTokens: 4 },
      lora: { r: 2, alpha: 4 },
      ...extra,
    }),
    reward: alternatingRewards,
    backend: "wasm",
    progress: false,
    log: () => {},
  });
  return result.metrics[0] as GrpoStepMetrics;
};

describe("advantage std and epsilon", () => {
  it("advantageStd 'sample' with advantageEpsilon 1e-4 gives TRL's advantages; the default, the population std", async () => {
    const trl = await oneRound("trl", { advantageStd: "sample", advantageEpsilon: 1e-4 });
    expect(trl.advantageMax).toBeCloseTo(0.5 / (Math.sqrt(1 / 3) + 1e-4), 12);
    const ours = await oneRound("default", {});
    expect(ours.advantageMax).toBeCloseTo(0.5 / (0.5 + 1e-6), 12);
    // The mean in-group sample std (older TRL's reward_std), beside the (population) std of all rewards.
    expect(ours.rewardGroupStd).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(ours.rewardStd).toBeCloseTo(0.5, 12);
  });

  it("are checked, and part of the trajectory only when set (checkpoints from before them still resume)", () => {
    expect(() => resolveGrpoConfig({ advantageStd: "bessel" as never })).toThrow(
      /"advantageStd" must be "population" or "sample", found "bessel"/,
    );
    expect(() => resolveGrpoConfig({ advantageEpsilon: -1 })).toThrow(/"advantageEpsilon" must be >= 0/);
    const plain = trajectoryKey(resolveGrpoConfig());
    expect(plain).not.toMatch(/advantageStd|advantageEpsilon/);
    expect(trajectoryKey(resolveGrpoConfig({ advantageStd: "sample" }))).not.toBe(plain);
    expect(trajectoryKey(resolveGrpoConfig({ advantageEpsilon: 1e-4 }))).not.toBe(plain);
  });
});
