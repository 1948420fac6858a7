/**
 * The gradient half of a GRPO update: sequences (prompt + sampled reply) are collated into right-padded
 * micro-batches, the decoder runs on the reply rows only, the per-token log-probs of the sampled ids feed the
 * clipped objective, and gradients are summed over micro-batches (the token weights are those of the whole
 * step, so the sum equals one big batch).
 */
import {
  crossEntropy,
  type DecoderInput,
  type DecoderModel,
  forward,
  type RowSegment,
  seedFrom,
  withSharedTransposes,
} from "@ssb/distill";
import { type ClipSettings, grpoLoss } from "./grpo-loss.js";
import { tf } from "./tf.js";

export interface TrainSequence {
  promptIds: readonly number[];
  /** Sampled ids (stop token included): the tokens whose log-probs are trained. */
  replyIds: readonly number[];
  advantage: number;
  /** Aggregation weight of each of its tokens. */
  tokenWeight: number;
}

export interface CollatedSequences {
  input: DecoderInput;
  rows: RowSegment[];
  targets: Int32Array;
  advantages: Float32Array;
  weights: Float32Array;
}

/**
 * Padded lengths are rounded up to this multiple: the wasm heap never shrinks, and a new tensor size every
 * round fragments it until a long run aborts at the 4 GiB cap (seen after ~38 rounds of G = 16 x 10).
 */
export const LENGTH_BUCKET = 32;

export function collateSequences(seqs: readonly TrainSequence[], padId: number): CollatedSequences {
  const longest = Math.max(...seqs.map((s) => s.promptIds.length + s.replyIds.length));
  const length = Math.ceil(longest / LENGTH_BUCKET) * LENGTH_BUCKET;
  const batch = seqs.length;
  const inputIds = new Int32Array(batch * length).fill(padId);
  const attentionMask = new Uint8Array(batch * length);
  const rows: RowSegment[] = [];
  const tokens = seqs.reduce((n, s) => n + s.replyIds.length, 0);
  const targets = new Int32Array(tokens);
  const advantages = new Float32Array(tokens);
  const weights = new Float32Array(tokens);
  let at = 0;
  seqs.forEach((s, b) => {
    const ids = [...s.promptIds, ...s.replyIds];
    inputIds.set(ids, b * length);
    attentionMask.fill(1, b * length, b * length + ids.length);
    // Row t predicts token t + 1: the reply's first token is predicted by the prompt's last position. A reply
    // of no tokens has no row (the decoder refuses an empty segment): it trains nothing, as in TRL.
    if (s.replyIds.length > 0)
      rows.push({ batch: b, start: s.promptIds.length - 1, length: s.replyIds.length });
    targets.set(s.replyIds, at);
    advantages.fill(s.advantage, at, at + s.replyIds.length);
    weights.fill(s.tokenWeight, at, at + s.replyIds.length);
    at += s.replyIds.length;
  });
  return { input: { inputIds, batch, length, attentionMask }, rows, targets, advantages, weights };
}

/**
 * log pi(o_t) of the sampled tokens, [R], at the sampling temperature (the distribution the tokens were
 * drawn from). Differentiable; call inside tf.variableGrads or tf.tidy.
 */
export function sampledLogProbs(
  model: DecoderModel,
  batch: CollatedSequences,
  temperature: number,
  dropoutSeed?: number,
): tf.Tensor1D {
  const options = dropoutSeed === undefined ? {} : { training: true, dropoutSeed };
  const logits = forward(model, batch.input, batch.rows, options);
  const scaled = temperature === 1 ? logits : (tf.div(logits, temperature) as tf.Tensor2D);
  return tf.neg(crossEntropy(scaled, batch.targets)) as tf.Tensor1D;
}

/** Log-probs without gradients, per micro-batch (pi_old before several updates, or the frozen base). */
export function logProbsNoGrad(
  model: DecoderModel,
  batches: readonly CollatedSequences[],
  temperature: number,
): Float32Array[] {
  return batches.map((b) => tf.tidy(() => sampledLogProbs(model, b, temperature)).dataSync() as Float32Array);
}

/** The same decoder without its LoRA: pi_ref for the KL term (base weights are shared, not copied). */
export function referenceModel(model: DecoderModel): DecoderModel {
  return { ...model, lora: new Map() };
}

export interface PolicyGradientOptions {
  temperature: number;
  clip: ClipSettings;
  beta: number;
  /** pi_old per micro-batch; null = on-policy (ratio 1). */
  oldLogProbs: Float32Array[] | null;
  /** pi_ref per micro-batch; null when no KL is computed. */
  refLogProbs: Float32Array[] | null;
  /** Weigh the KL terms by their ratios (see GrpoLossInput.klBiasCorrection); default false. */
  klBiasCorrection?: boolean;
  /** Seeds LoRA dropout masks: (seed, step, iteration, micro-batch). */
  seed: number;
  step: number;
  iteration: number;
}

export interface PolicyGradients {
  /** Summed gradients aligned with `vars` (caller disposes). */
  grads: tf.Tensor[];
  loss: number;
  tokens: number;
  clippedTokens: number;
  klSum: number;
  ratioSum: number;
}

export function policyGradients(
  model: DecoderModel,
  vars: tf.Variable[],
  batches: readonly CollatedSequences[],
  options: PolicyGradientOptions,
): PolicyGradients {
  let accum: tf.Tensor[] | null = null;
  const out = { loss: 0, tokens: 0, clippedTokens: 0, klSum: 0, ratioSum: 0 };
  const useDropout = [...model.lora.values()].some((l) => l.dropout > 0);
  if (batches.length === 0) throw new Error("policyGradients: no micro-batches");
  batches.forEach((batch, micro) => {
    // Replies of no tokens only: no term, no gradient (and no rows for the decoder to run).
    if (batch.targets.length === 0) return;
    let parts = { clippedTokens: 0, klSum: 0, ratioSum: 0 };
    const { value, grads } = withSharedTransposes(() =>
      tf.variableGrads(() => {
        const dropoutSeed = useDropout
          ? seedFrom(options.seed, "dropout", options.step, options.iteration, micro)
          : undefined;
        const logProbs = sampledLogProbs(model, batch, options.temperature, dropoutSeed);
        const result = grpoLoss({
          logProbs,
          oldLogProbs: options.oldLogProbs?.[micro] ?? null,
          refLogProbs: options.refLogProbs?.[micro] ?? null,
          advantages: batch.advantages,
          weights: batch.weights,
          clip: options.clip,
          beta: options.beta,
          klBiasCorrection: options.klBiasCorrection ?? false,
        });
        parts = result;
        return result.loss;
      }, vars),
    );
    out.loss += value.dataSync()[0] as number;
    value.dispose();
    out.tokens += batch.targets.length;
    out.clippedTokens += parts.clippedTokens;
    out.klSum += parts.klSum;
    out.ratioSum += parts.ratioSum;
    const list = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
    if (accum === null) accum = list;
    else {
      const previous: tf.Tensor[] = accum;
      accum = previous.map((a, j) => tf.add(a, list[j] as tf.Tensor));
      for (const t of [...previous, ...list]) t.dispose();
    }
  });
  return { grads: accum ?? vars.map((v) => tf.zerosLike(v)), ...out };
}
