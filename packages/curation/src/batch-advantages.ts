/**
 * Advantages of a whole batch laid out as TRL's GRPOTrainer holds it: `groupSize` completions per prompt, one
 * group after another. `scaleRewards` is TRL's option of that name: "group" (its default) divides each
 * group's centred rewards by that group's sample std + epsilon, "batch" by the sample std of every reward in
 * the batch, "none" (Dr. GRPO) not at all. Epsilon defaults to TRL's 1e-4. A group of one, or a batch of
 * one reward, has std 0 here as in TRL, so its advantage is 0.
 */
import { grpoAdvantages, type Rewards, rewardList } from "./grpo-advantages.js";
import {
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkOneOf,
  checkOptionsObject,
} from "./option-checks.js";
import { describe } from "./parse-records.js";

export type ScaleRewards = "group" | "batch" | "none";

export const SCALE_REWARDS: readonly ScaleRewards[] = ["group", "batch", "none"];

export interface BatchAdvantageOptions {
  /** TRL's scale_rewards (default "group"). */
  scaleRewards?: ScaleRewards;
  /** Added to the std, a finite number >= 0 (default 1e-4, TRL's). */
  epsilon?: number;
}

const WHERE = "batchAdvantages";

/** Sample (n - 1) std of all rewards, computed on rewards scaled into [-1, 1] so that 1e308 does not overflow. */
function sampleStd(rewards: readonly number[]): number {
  const n = rewards.length;
  if (n < 2) return 0;
  const scale = Math.max(...rewards.map((r) => Math.abs(r)));
  if (scale === 0) return 0;
  const scaled = rewards.map((r) => r / scale);
  const mean = scaled.reduce((s, r) => s + r, 0) / n;
  return Math.sqrt(scaled.reduce((s, r) => s + (r - mean) ** 2, 0) / (n - 1)) * scale;
}

export function batchAdvantages(
  given: Rewards,
  groupSize: number,
  options: BatchAdvantageOptions = {},
): number[] {
  checkOptionsObject(options, WHERE);
  const o = (options ?? {}) as Record<string, unknown>;
  checkKnownKeys(o, ["scaleRewards", "epsilon"], WHERE);
  checkOneOf(o.scaleRewards, SCALE_REWARDS, WHERE, "scaleRewards");
  checkNumber(o.epsilon, WHERE, "epsilon", "a finite number >= 0", (e) => e >= 0);
  if (groupSize === undefined) throw new RangeError(`${WHERE}: groupSize is required`);
  checkInteger(groupSize, 1, WHERE, "groupSize");
  const rewards = rewardList(given);
  if (!Array.isArray(rewards))
    throw new TypeError(`${WHERE}: rewards must be an array, found ${describe(rewards)}`);
  if (rewards.length % groupSize !== 0) {
    throw new RangeError(
      `${WHERE}: ${rewards.length} rewards do not split into groups of ${groupSize} (the batch holds groupSize completions per prompt, one group after another)`,
    );
  }
  for (let i = 0; i < rewards.length; i++) {
    const r: unknown = rewards[i];
    if (typeof r !== "number" || !Number.isFinite(r))
      throw new RangeError(`${WHERE}: rewards[${i}] must be a finite number, found ${describe(r)}`);
  }
  const scaleRewards = options.scaleRewards ?? "group";
  const epsilon = options.epsilon ?? 1e-4;
  const out: number[] = [];
  const batchStd = scaleRewards === "batch" ? sampleStd(rewards) : 0;
  for (let start = 0; start < rewards.length; start += groupSize) {
    const group = rewards.slice(start, start + groupSize);
    if (scaleRewards === "group") {
      // A group of one has no spread: TRL gives it std 0, so 0 / epsilon = 0, as grpoAdvantages does.
      out.push(...grpoAdvantages(group, { unbiasedStd: true, epsilon }));
      continue;
    }
    const centred = grpoAdvantages(group, { variant: "dr-grpo" });
    if (scaleRewards === "none") out.push(...centred);
    else {
      // With epsilon 0 and one reward value in the whole batch, every centred reward is 0: keep 0, not 0/0.
      out.push(...centred.map((c) => (c === 0 ? 0 : c / (batchStd + epsilon))));
    }
  }
  return out;
}
