/**
 * A reward function's result is checked before it becomes advantages. A function written for TRL's
 * GRPOTrainer returns a list of floats (None where it does not apply); here it must return
 * { rewards, correct }. Such a list used to fail deep in the loop ("Cannot read properties of undefined"),
 * and a None (null) reward failed in @ssb/curation naming neither the round nor the problem.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import type { GrpoProblem } from "./problems.js";
import { checkGroupReward, type GroupRewardFunction } from "./rewards.js";
import { runGrpo } from "./run-grpo.js";

const problems: GrpoProblem[] = [{ id: "q0", question: "1 + 1?", answer: "2" }];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-reward-shape-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const train = (name: string, reward: GroupRewardFunction) =>
  runGrpo({
    modelDir: tinyRef,
    problems,
    outDir: path.join(tmp, name),
    config: resolveGrpoConfig({
      steps: 1,
      problemsPerStep: 1,
      groupSize: 3,
      sampling: { maxNewTokens: 4 },
      lora: { r: 2, alpha: 4 },
    }),
    reward,
    backend: "wasm",
    progress: false,
    log: () => {},
  });

describe("the reward function's result", () => {
  it("a TRL-style list of floats is refused saying what to return, naming the round and the problem", async () => {
    const trlStyle = ((_p: GrpoProblem, completions: readonly unknown[]) =>
      completions.map(() => 1)) as unknown as GroupRewardFunction;
    await expect(train("list", trlStyle)).rejects.toThrow(
      'reward function, round 1, problem "q0": expected { rewards: number[], correct: boolean[] } with one entry per completion (3), found an array of 3 (a TRL-style reward function\'s list of floats; return { rewards, correct } instead)',
    );
  });

  it("a None (null) reward is refused naming its index, the round and the problem", async () => {
    const withNone = ((_p: GrpoProblem, completions: readonly unknown[]) => ({
      rewards: completions.map((_, i) => (i === 1 ? null : 0)),
      correct: completions.map(() => false),
    })) as unknown as GroupRewardFunction;
    await expect(train("none", withNone)).rejects.toThrow(
      'reward function, round 1, problem "q0": rewards[1] is null; every completion needs a finite reward',
    );
  });

  it("checks the counts and the correct flags", () => {
    const where = { round: 2, problemId: "p" };
    expect(() => checkGroupReward({ rewards: [1, 0], correct: [true, false] }, 3, where)).toThrow(
      /round 2, problem "p": expected .* \(3\), found rewards: an array of 2/,
    );
    expect(() => checkGroupReward({ rewards: [1, 0] }, 2, where)).toThrow(/found correct: undefined/);
    expect(() => checkGroupReward({ rewards: [1, Number.NaN], correct: [true, false] }, 2, where)).toThrow(
      /rewards\[1\] is NaN/,
    );
    expect(() => checkGroupReward({ rewards: [1, 0], correct: [1, 0] }, 2, where)).toThrow(
      /correct\[0\] is 1, not true or false/,
    );
    const ok = { rewards: [1, 0], correct: [true, false] };
    expect(checkGroupReward(ok, 2, where)).toBe(ok);
  });
});
