/**
 * A round whose groups all have equal rewards carries no signal. With beta 0 its gradient is exactly zero,
 * and the run takes no optimizer step (AdamW's moments and step count left alone); `logKl` only logs the KL
 * and must not change that: it used to run the zero-advantage completions for the KL and then apply their
 * zero gradient, so AdamW moved the weights by its momentum and the run trained differently with logging on.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadAdapter } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import type { GrpoProblem } from "./problems.js";
import type { GroupRewardFunction } from "./rewards.js";
import { type GrpoResult, runGrpo } from "./run-grpo.js";

const problems: GrpoProblem[] = Array.from({ length: 4 }, (_, i) => ({
  id: `q${i}`,
  question: `${i} + ${i}?`,
  answer: String(2 * i),
}));
const PROBLEMS_PER_STEP = 2;

/** The share of even token ids, except in round 2, where every completion gets 0.5 (no signal). */
function rewardWithFlatRound2(): GroupRewardFunction {
  let calls = 0;
  return (_problem, completions) => {
    const round = Math.floor(calls++ / PROBLEMS_PER_STEP) + 1;
    const rewards = completions.map((c) =>
      round === 2 ? 0.5 : c.tokenIds.filter((t) => t % 2 === 0).length / c.tokenIds.length,
    );
    return { rewards, correct: rewards.map((r) => r > 0.5) };
  };
}

let tmp: string;
const run = (name: string, logKl: boolean): Promise<GrpoResult> =>
  runGrpo({
    modelDir: tinyRef,
    problems,
    outDir: path.join(tmp, name),
    config: resolveGrpoConfig({
      seed: 5,
      steps: 3,
      problemsPerStep: PROBLEMS_PER_STEP,
      groupSize: 4,
      logKl,
      sampling: { maxNewTokens: 6 },
      lora: { r: 2, alpha: 4 },
      optimizer: { lr: 0.02 },
      checkpointEvery: 3,
      systemPrompt: "Be brief.",
    }),
    reward: rewardWithFlatRound2(),
    backend: "wasm",
    progress: false,
    log: () => {},
  });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-nosignal-"));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("a round with no signal", () => {
  it("takes no optimizer step, with or without logKl (logging the KL does not change the trajectory)", async () => {
    const plain = await run("plain", false);
    const logged = await run("logged", true);
    expect(plain.metrics.map((m) => m.zeroAdvantageGroups)).toEqual([0, 2, 0]);
    expect(logged.metrics.map((m) => m.zeroAdvantageGroups)).toEqual([0, 2, 0]);
    // The KL is still computed and logged in the flat round; nothing was trained there without logKl.
    expect(logged.metrics[1]?.kl).not.toBeNull();
    expect(plain.metrics[1]?.tokensTrained).toBe(0);
    expect(logged.metrics.map((m) => m.rewardMean)).toEqual(plain.metrics.map((m) => m.rewardMean));
    const a = await loadAdapter(plain.adapterDir);
    const b = await loadAdapter(logged.adapterDir);
    for (const [name, m] of a.modules) {
      const other = b.modules.get(name);
      for (const [which, x, y] of [
        ["A", m.a.data, other?.a.data],
        ["B", m.b.data, other?.b.data],
      ] as const) {
        let diff = 0;
        x.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(v - ((y as Float32Array)[i] as number)));
        });
        expect(diff, `${name}.${which}`).toBeLessThan(1e-5);
      }
    }
  });
});
