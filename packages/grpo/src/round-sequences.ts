/**
 * Which of a round's completions the update runs through the model, and the token weight of each: the
 * aggregation's normaliser counts every completion (zero-advantage ones included, as TRL does), except
 * truncated ones when `maskTruncated` is on (TRL's mask_truncated_completions: their tokens leave the loss and
 * the token count, while they stay among the sequences of "sequence" and "constant").
 */
import { type LossAggregation, sequenceTokenWeights } from "./grpo-loss.js";
import type { TrainSequence } from "./grpo-step.js";
import type { SampledCompletion } from "./sample-groups.js";

export interface RoundSequenceOptions {
  aggregation: LossAggregation;
  /** The constant normaliser's length (sampling.maxNewTokens). */
  maxNewTokens: number;
  /** Drop the tokens of completions cut at maxNewTokens from the loss (DAPO's overlong filtering). */
  maskTruncated: boolean;
  /**
   * A KL term is computed: zero-advantage completions still run (their KL counts); without one they add
   * nothing to the gradient and are skipped (they are still counted in the normaliser).
   */
  keepZeroAdvantage: boolean;
}

export interface RoundSequences {
  /** In completion order (the caller sorts them for batching). */
  sequences: TrainSequence[];
  /** Tokens in the loss: every completion's, less masked truncated ones (clipFraction's denominator). */
  lossTokens: number;
}

export function roundSequences(
  completions: readonly Pick<SampledCompletion, "promptIds" | "tokenIds" | "finishReason">[],
  advantages: readonly number[],
  options: RoundSequenceOptions,
): RoundSequences {
  if (advantages.length !== completions.length)
    throw new Error(`roundSequences: ${advantages.length} advantages for ${completions.length} completions`);
  const masked = completions.map((c) => options.maskTruncated && c.finishReason === "length");
  const lengths = completions.map((c, i) => (masked[i] ? 0 : c.tokenIds.length));
  const perToken = sequenceTokenWeights(lengths, options.aggregation, options.maxNewTokens);
  const sequences: TrainSequence[] = [];
  completions.forEach((c, i) => {
    const advantage = advantages[i] as number;
    if (masked[i] || (advantage === 0 && !options.keepZeroAdvantage)) return;
    sequences.push({
      promptIds: c.promptIds,
      replyIds: c.tokenIds,
      advantage,
      tokenWeight: perToken[i] as number,
    });
  });
  return { sequences, lossTokens: lengths.reduce((s, n) => s + n, 0) };
}
