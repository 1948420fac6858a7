/**
 * The `ssb-rollout` progress bar: @ssb/cli-kit's bar (the one every ssb command shows), counting sequences,
 * those of an earlier run of a resumed job included, with the generator's tokens/s and active batch rows.
 */
import { createProgressBar, type ProgressBar, type ProgressStream } from "@ssb/cli-kit";
import type { GenerateProgress } from "./generator.js";

export interface RolloutProgress {
  /** `alreadyDone`: sequences an earlier run wrote (what runRollouts' `onProgress` passes). */
  update(p: GenerateProgress, alreadyDone?: number): void;
  finish(): void;
}

/** What the line shows after the sequence rate: the generator's tokens/s and its active batch rows. */
export function rolloutProgressExtra(p: GenerateProgress): string[] {
  const seconds = p.elapsedMs / 1000;
  return [`${(seconds > 0 ? p.generatedTokens / seconds : 0).toFixed(0)} tok/s`, `${p.activeRows} active`];
}

/** A bar for a generation job; it starts at the first update, when the job's size is known. */
export function createRolloutProgress(
  stream: ProgressStream = process.stderr,
  options: { label?: string; redrawMs?: number; logEveryMs?: number } = {},
): RolloutProgress {
  let bar: ProgressBar | null = null;
  return {
    update(p, alreadyDone = 0) {
      bar ??= createProgressBar(p.totalSequences + alreadyDone, {
        label: options.label ?? "ssb-rollout",
        unit: "seqs",
        stream,
        ...(options.redrawMs !== undefined ? { redrawMs: options.redrawMs } : {}),
        ...(options.logEveryMs !== undefined ? { logEveryMs: options.logEveryMs } : {}),
      });
      bar.update(p.finishedSequences + alreadyDone, rolloutProgressExtra(p));
    },
    finish() {
      bar?.finish();
    },
  };
}
