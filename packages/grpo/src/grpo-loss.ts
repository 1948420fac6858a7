/**
 * The GRPO objective on sampled tokens (Shao et al. 2024, with the token-level aggregation of DAPO and the
 * constant normaliser of Dr. GRPO). For every completion token t of sequence i with advantage A_i:
 *
 *   r_t   = exp(log pi(o_t) - log pi_old(o_t))
 *   obj_t = min(r_t A_i, clip(r_t, 1 - eps_low, 1 + eps_high) A_i) - beta KL_t
 *   KL_t  = exp(ref_t - logp_t) - (ref_t - logp_t) - 1        (the k3 estimator of KL(pi || pi_ref), >= 0)
 *           (x r_t with klBiasCorrection, TRL 1.13's default use_bias_correction_kl)
 *
 * and the loss is -sum_t w_t obj_t, where the weights w_t carry the aggregation (see tokenWeights). The
 * weights are computed once for a whole optimizer step, so gradients summed over micro-batches equal those of
 * one big batch.
 */
import { tf } from "./tf.js";

/**
 * How token terms are averaged:
 * - "token": over every completion token of the step (DAPO; TRL's default loss today);
 * - "sequence": per sequence, then over sequences (the original GRPO paper) — biased toward short answers;
 * - "constant": sum over tokens / (sequences x a constant length), Dr. GRPO's unbiased normaliser.
 */
export type LossAggregation = "token" | "sequence" | "constant";

export interface ClipSettings {
  /** Lower clip: ratios below 1 - epsilon are clipped (PPO's epsilon, default 0.2). */
  epsilon: number;
  /** Upper clip: ratios above 1 + epsilonHigh (DAPO's clip-higher; default = epsilon). */
  epsilonHigh: number;
}

export interface GrpoLossInput {
  /** log pi(o_t) of the sampled tokens under the current policy, [R] (differentiable). */
  logProbs: tf.Tensor1D;
  /** log pi_old(o_t), [R]; null = on-policy (pi_old is the current policy, detached: every ratio is 1). */
  oldLogProbs: Float32Array | null;
  /** log pi_ref(o_t) under the frozen base, [R]; needed when beta > 0 (else null). */
  refLogProbs: Float32Array | null;
  /** The sequence's advantage, repeated on each of its tokens, [R]. */
  advantages: Float32Array;
  /** Aggregation weight of each token, [R] (tokenWeights over the whole step). */
  weights: Float32Array;
  clip: ClipSettings;
  /** KL coefficient (default 0, as TRL today). */
  beta: number;
  /**
   * KL_t weighted by r_t (differentiable), TRL 1.13's `use_bias_correction_kl` (its default): the gradient of the
   * KL term becomes the unbiased reverse-KL one. Off (default): the bare k3 term, as DeepSeekMath.
   */
  klBiasCorrection?: boolean;
}

export interface GrpoLossParts {
  /** Scalar loss (differentiable). */
  loss: tf.Scalar;
  /** Sums over the R tokens (divide by R, or add across micro-batches first): */
  /** tokens whose clipped term was the one min() picked (ratio outside the clip range in the harmful direction). */
  clippedTokens: number;
  /** sum of KL_t, x r_t with klBiasCorrection (0 when no reference was given). */
  klSum: number;
  /** sum of r_t. */
  ratioSum: number;
}

/** x with a zero gradient (torch's detach): pi_old in the on-policy case. */
function stopGradient(x: tf.Tensor1D): tf.Tensor1D {
  const f = tf.customGrad((input) => {
    const t = input as tf.Tensor;
    return { value: t.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return f(x) as tf.Tensor1D;
}

/** The loss and its token statistics. Call inside tf.variableGrads (or tf.tidy); the parts are host numbers. */
export function grpoLoss(input: GrpoLossInput): GrpoLossParts {
  const rows = input.logProbs.shape[0];
  for (const [name, arr] of [
    ["advantages", input.advantages],
    ["weights", input.weights],
    ["oldLogProbs", input.oldLogProbs],
    ["refLogProbs", input.refLogProbs],
  ] as const) {
    if (arr !== null && arr.length !== rows)
      throw new Error(`grpoLoss: ${name} has ${arr.length} entries, expected ${rows} (one per token)`);
  }
  if (input.beta > 0 && input.refLogProbs === null)
    throw new Error("grpoLoss: beta > 0 needs the reference log-probs");
  const { epsilon, epsilonHigh } = input.clip;
  const logp = input.logProbs;
  const old = input.oldLogProbs === null ? stopGradient(logp) : tf.tensor1d(input.oldLogProbs);
  const ratio = tf.exp(tf.sub(logp, old));
  const adv = tf.tensor1d(input.advantages);
  const unclipped = tf.mul(ratio, adv);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - epsilon, 1 + epsilonHigh), adv);
  let objective: tf.Tensor1D = tf.minimum(unclipped, clipped);
  let klSum = 0;
  if (input.refLogProbs !== null) {
    const delta = tf.sub(tf.tensor1d(input.refLogProbs), logp);
    const k3 = tf.sub(tf.sub(tf.exp(delta), delta), 1) as tf.Tensor1D;
    const kl = input.klBiasCorrection ? (tf.mul(k3, ratio) as tf.Tensor1D) : k3;
    klSum = tf.sum(kl).dataSync()[0] as number;
    if (input.beta > 0) objective = tf.sub(objective, tf.mul(kl, input.beta));
  }
  const loss = tf.neg(tf.sum(tf.mul(objective, tf.tensor1d(input.weights)))) as tf.Scalar;
  // Host-side statistics from the values (no gradient needed).
  const r = ratio.dataSync() as Float32Array;
  let clippedTokens = 0;
  let ratioSum = 0;
  for (let t = 0; t < rows; t++) {
    const rt = r[t] as number;
    const a = input.advantages[t] as number;
    ratioSum += rt;
    if ((a > 0 && rt > 1 + epsilonHigh) || (a < 0 && rt < 1 - epsilon)) clippedTokens++;
  }
  return { loss, clippedTokens, klSum, ratioSum };
}

/**
 * The aggregation weight of one token of each sequence (lengths in tokens, every sequence of the step):
 * "token" 1 / total tokens; "sequence" 1 / (length_i x sequences); "constant" 1 / (sequences x maxLength);
 * 0 for a sequence of no tokens.
 */
export function sequenceTokenWeights(
  lengths: readonly number[],
  aggregation: LossAggregation,
  maxLength: number,
): number[] {
  const total = lengths.reduce((s, n) => s + n, 0);
  const n = lengths.length;
  // A completion with no tokens has no terms: weight 0, not 1 / 0 (it still counts among the n sequences of
  // "sequence" and "constant", as in TRL, whose per-sequence mean divides by max(length, 1)).
  return lengths.map((len) => {
    if (len === 0) return 0;
    return aggregation === "token"
      ? 1 / total
      : aggregation === "sequence"
        ? 1 / (len * n)
        : 1 / (n * maxLength);
  });
}

/** sequenceTokenWeights expanded to one weight per token, sequences back to back. */
export function tokenWeights(
  lengths: readonly number[],
  aggregation: LossAggregation,
  maxLength: number,
): Float32Array {
  const perSequence = sequenceTokenWeights(lengths, aggregation, maxLength);
  const out = new Float32Array(lengths.reduce((s, n) => s + n, 0));
  let at = 0;
  lengths.forEach((len, i) => {
    out.fill(perSequence[i] as number, at, at + len);
    at += len;
  });
  return out;
}
