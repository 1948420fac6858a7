/**
 * Group-relative advantages for GRPO-style training.
 *
 * - "grpo" (Shao et al., DeepSeekMath): A_i = (r_i - mean(r)) / (std(r) + epsilon).
 * - "dr-grpo" (Liu et al., "Understanding R1-Zero-Like Training"): A_i = r_i - mean(r); dropping the std
 *   removes the bias toward groups whose rewards barely vary (too-easy or too-hard questions).
 *
 * The std is the population std (divide by n), as in common GRPO implementations; set `unbiasedStd` for n - 1.
 * A group with identical rewards gets all-zero advantages in both variants: it carries no learning signal.
 */

export type AdvantageVariant = "grpo" | "dr-grpo";

export interface AdvantageOptions {
  variant?: AdvantageVariant;
  /** Added to the std to avoid division by zero (default 1e-6). */
  epsilon?: number;
  /** Use the n - 1 (sample) std instead of the population std (default false). */
  unbiasedStd?: boolean;
}

export function grpoAdvantages(rewards: readonly number[], options: AdvantageOptions = {}): number[] {
  const n = rewards.length;
  if (n === 0) return [];
  for (const r of rewards) {
    if (!Number.isFinite(r)) throw new RangeError(`grpoAdvantages: rewards must be finite numbers, got ${r}`);
  }
  const mean = rewards.reduce((s, r) => s + r, 0) / n;
  const centred = rewards.map((r) => r - mean);
  if ((options.variant ?? "grpo") === "dr-grpo") return centred;
  const denom = options.unbiasedStd ? n - 1 : n;
  const variance = denom > 0 ? centred.reduce((s, c) => s + c * c, 0) / denom : 0;
  const std = Math.sqrt(variance);
  const epsilon = options.epsilon ?? 1e-6;
  return centred.map((c) => c / (std + epsilon));
}
