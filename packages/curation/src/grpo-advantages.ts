/**
 * Group-relative advantages for GRPO-style training.
 *
 * - "grpo" (Shao et al., DeepSeekMath): A_i = (r_i - mean(r)) / (std(r) + epsilon).
 * - "dr-grpo" (Liu et al., "Understanding R1-Zero-Like Training"): A_i = r_i - mean(r); dropping the std
 *   removes the bias toward groups whose rewards barely vary (too-easy or too-hard questions).
 * - "rloo" (Ahmadian et al., "Back to Basics"; TRL's RLOOTrainer): A_i = r_i - mean of the other n - 1
 *   rewards, which is n / (n - 1) * (r_i - mean(r)): the baseline does not include the sample itself.
 *
 * The std is the population std (divide by n) by default, which is NOT what TRL and verl do: both use
 * torch's std, the sample (n - 1) std, and TRL adds epsilon 1e-4. `{ unbiasedStd: true, epsilon: 1e-4 }`
 * gives TRL's GRPOTrainer numbers (scale_rewards "group"); the default was kept because @ssb/grpo's runs use it.
 * A group with identical rewards gets all-zero advantages in every variant, whatever epsilon is: it carries no
 * learning signal (a group of one included: it has no spread and no leave-one-out baseline).
 */
import {
  checkBoolean,
  checkKnownKeys,
  checkNumber,
  checkOneOf,
  checkOptionsObject,
} from "./option-checks.js";
import { describe } from "./parse-records.js";

export type AdvantageVariant = "grpo" | "dr-grpo" | "rloo";

/** Rewards as a list, or as the typed array a tfjs tensor's dataSync() returns. */
export type Rewards = readonly number[] | Float32Array | Float64Array;

/** `rewards` as a plain array (a typed array copied), or the value itself when it is neither. */
export function rewardList(rewards: Rewards): readonly number[] {
  return rewards instanceof Float32Array || rewards instanceof Float64Array ? Array.from(rewards) : rewards;
}

export const ADVANTAGE_VARIANTS: readonly AdvantageVariant[] = ["grpo", "dr-grpo", "rloo"];

export interface AdvantageOptions {
  variant?: AdvantageVariant;
  /** "grpo" only: added to the std to avoid division by zero, a finite number >= 0 (default 1e-6; TRL: 1e-4). */
  epsilon?: number;
  /** "grpo" only: the n - 1 (sample) std, as TRL and verl, instead of the population std (default false). */
  unbiasedStd?: boolean;
}

const WHERE = "grpoAdvantages";

function checkOptions(options: unknown): asserts options is AdvantageOptions {
  checkOptionsObject(options, WHERE);
  const o = (options ?? {}) as Record<string, unknown>;
  checkKnownKeys(o, ["variant", "epsilon", "unbiasedStd"], WHERE);
  checkOneOf(o.variant, ADVANTAGE_VARIANTS, WHERE, "variant");
  // A negative epsilon flips signs or divides by zero; a string would be concatenated, not added.
  checkNumber(o.epsilon, WHERE, "epsilon", "a finite number >= 0", (e) => e >= 0);
  checkBoolean(o.unbiasedStd, WHERE, "unbiasedStd");
}

export function grpoAdvantages(given: Rewards, options: AdvantageOptions = {}): number[] {
  checkOptions(options);
  const rewards = rewardList(given);
  if (!Array.isArray(rewards))
    throw new TypeError(`${WHERE}: rewards must be an array, found ${describe(rewards)}`);
  const n = rewards.length;
  if (n === 0) return [];
  for (let i = 0; i < n; i++) {
    const r: unknown = rewards[i];
    // Named by index: a NaN or missing reward is usually one reward function failing on one completion.
    if (typeof r !== "number" || !Number.isFinite(r))
      throw new RangeError(`${WHERE}: rewards[${i}] must be a finite number, found ${describe(r)}`);
  }
  // No spread, no signal: zeros for any epsilon (even 0, which would otherwise give 0/0).
  if (rewards.every((r) => r === rewards[0])) return rewards.map(() => 0);
  // Work on rewards scaled into [-1, 1]: sums and squares of huge rewards (1e308) would overflow to
  // Infinity and turn every advantage into 0 or NaN. (r - mean) / (std + eps) = c' / (std' + eps / scale).
  const scale = Math.max(...rewards.map((r) => Math.abs(r)));
  const scaled = rewards.map((r) => r / scale);
  // Rewards that differ only by rounding (0.1 + 0.2 and 0.3, from summing reward parts in another order) have
  // no spread either: with epsilon 0 the std normalisation would blow that difference up to advantages of +-1.
  const spread = Math.max(...scaled) - Math.min(...scaled);
  if (spread <= 8 * Number.EPSILON) return rewards.map(() => 0);
  const mean = scaled.reduce((s, r) => s + r, 0) / n;
  const centred = scaled.map((r) => r - mean);
  const variant = options.variant ?? "grpo";
  if (variant !== "grpo") {
    // r_i - (sum - r_i) / (n - 1) = n / (n - 1) * (r_i - mean); n >= 2 here (a group of one is uniform).
    const factor = variant === "rloo" ? n / (n - 1) : 1;
    const out = centred.map((c) => c * factor * scale);
    if (out.some((a) => !Number.isFinite(a)))
      throw new RangeError(`${WHERE}: the ${variant} advantages of these rewards are too large for a number`);
    return out;
  }
  const denom = options.unbiasedStd ? n - 1 : n;
  const std = Math.sqrt(centred.reduce((s, c) => s + c * c, 0) / denom);
  const epsilon = (options.epsilon ?? 1e-6) / scale;
  return centred.map((c) => c / (std + epsilon));
}
