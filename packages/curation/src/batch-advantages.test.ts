import { describe, expect, it } from "vitest";
import { batchAdvantages } from "./batch-advantages.js";
import { grpoAdvantages } from "./grpo-advantages.js";

/** TRL GRPOTrainer's computation, written out: group mean, torch's sample std (per group or batch), + 1e-4. */
function trl(rewards: number[], g: number, scale: "group" | "batch" | "none"): number[] {
  const sampleStd = (xs: number[]): number => {
    if (xs.length < 2) return 0; // TRL: zeros for a group / batch of one
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  };
  const out: number[] = [];
  for (let i = 0; i < rewards.length; i += g) {
    const group = rewards.slice(i, i + g);
    const mean = group.reduce((s, x) => s + x, 0) / g;
    const std = scale === "batch" ? sampleStd(rewards) : sampleStd(group);
    for (const r of group) out.push(scale === "none" ? r - mean : (r - mean) / (std + 1e-4));
  }
  return out;
}

describe("batchAdvantages (TRL's scale_rewards over a flat batch of groups)", () => {
  const rewards = [1, 0, 0, 0, 1, 1, 0, 0.5, 0.2, 0.2, 0.2, 0.2];
  it("takes rewards as a typed array (a tfjs tensor's dataSync()), as a list", () => {
    const f64 = Float64Array.from(rewards);
    expect(batchAdvantages(f64, 4, { scaleRewards: "batch" })).toEqual(
      batchAdvantages(rewards, 4, { scaleRewards: "batch" }),
    );
    const f32 = Float32Array.from([1, 0, 1, 1]);
    expect(grpoAdvantages(f32)).toEqual(grpoAdvantages([1, 0, 1, 1]));
    expect(() => grpoAdvantages(Float32Array.from([1, Number.NaN]))).toThrow(
      /rewards\[1\] must be a finite number/,
    );
  });
  it.each(["group", "batch", "none"] as const)("gives TRL's numbers with scale_rewards=%s", (scale) => {
    const got = batchAdvantages(rewards, 4, { scaleRewards: scale });
    const want = trl(rewards, 4, scale);
    expect(got).toHaveLength(12);
    got.forEach((a, i) => {
      expect(a).toBeCloseTo(want[i]!, 10);
    });
  });

  it("matches hand-computed values, and defaults to scale_rewards=group with epsilon 1e-4", () => {
    const batch = [1, 0, 0, 0, 1, 1, 0, 0];
    expect(batchAdvantages(batch, 4)[0]).toBeCloseTo(0.75 / 0.5001, 12); // std of 1,0,0,0 is 0.5
    const batchStd = Math.sqrt(1.875 / 7); // all eight rewards, mean 0.375
    expect(batchAdvantages(batch, 4, { scaleRewards: "batch" })[0]).toBeCloseTo(0.75 / (batchStd + 1e-4), 12);
    expect(batchAdvantages(batch, 4, { scaleRewards: "none" }).slice(0, 2)).toEqual([0.75, -0.25]);
  });

  it("gives groups of one and uniform groups zeros, as TRL's std 0 does", () => {
    expect(batchAdvantages([1, 0, 3], 1)).toEqual([0, 0, 0]);
    expect(batchAdvantages([1, 0, 3], 1, { scaleRewards: "batch" })).toEqual([0, 0, 0]);
    expect(batchAdvantages([0.5, 0.5, 1, 0], 2, { scaleRewards: "batch", epsilon: 0 }).slice(0, 2)).toEqual([
      0, 0,
    ]);
    expect(batchAdvantages([], 4)).toEqual([]);
  });

  it("refuses a batch that does not split into groups, bad rewards and bad options, naming them", () => {
    expect(() => batchAdvantages([1, 0, 1], 2)).toThrow(
      /^batchAdvantages: 3 rewards do not split into groups of 2/,
    );
    expect(() => batchAdvantages([1, Number.NaN], 2)).toThrow(
      /^batchAdvantages: rewards\[1\] must be a finite number, found number NaN$/,
    );
    expect(() => batchAdvantages([1, 0], 0)).toThrow(
      /option "groupSize" must be an integer >= 1, found number 0/,
    );
    expect(() => batchAdvantages([1, 0], 2, { scaleRewards: "std" as "group" })).toThrow(
      /option "scaleRewards" must be one of "group", "batch", "none", found the string "std"/,
    );
    expect(() => batchAdvantages([1, 0], 2, { scale_rewards: "batch" } as never)).toThrow(
      /unknown option "scale_rewards"/,
    );
  });
});
