import { formatDuration } from "./duration.js";

/** One snapshot of a job, as a progress line shows it. */
export interface ProgressState {
  /** Printed first (a command or stage name). */
  label?: string;
  /** What is counted, printed after `done/total` and in the rate ("seqs", "samples", "steps"). */
  unit?: string;
  /** Units finished, an earlier run's included. */
  done: number;
  total: number;
  /** Units that were already done when this run began (a resume): the rate and ETA count this run's only. */
  startedAt?: number;
  /** Seconds since this run began. */
  elapsedSec: number;
  /** Extra parts after the rate, in their order (`loss 0.520`, `2067 tok/s`). */
  extra?: readonly string[];
  /** Characters in the bar (default 24). */
  width?: number;
}

/** A rate with as many decimals as it needs to move visibly: 0.25/s, 3.4/s, 2067/s. */
function formatRate(perSecond: number): string {
  if (perSecond >= 100) return perSecond.toFixed(0);
  if (perSecond >= 10) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

/**
 * The text of a progress line, apart from any terminal so tests can read it:
 * `rollout [█████░░░] 302/3200 seqs 9%  30.2 seqs/s  2067 tok/s  elapsed 10s  ETA 1m36s`.
 */
export function progressLine(state: ProgressState): string {
  const { done, total, elapsedSec } = state;
  const width = state.width ?? 24;
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * width);
  const thisRun = done - (state.startedAt ?? 0);
  const rate = elapsedSec > 0 && thisRun > 0 ? thisRun / elapsedSec : 0;
  const eta = done >= total ? 0 : rate > 0 ? (total - done) / rate : Number.NaN;
  const unit = state.unit ? ` ${state.unit}` : "";
  const parts = [
    `${state.label ? `${state.label} ` : ""}[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${done}/${total}${unit} ${Math.floor(fraction * 100)}%`,
    `${formatRate(rate)}${unit}/s`,
    ...(state.extra ?? []),
    `elapsed ${formatDuration(elapsedSec)}`,
    `ETA ${formatDuration(eta)}`,
  ];
  return parts.join("  ");
}
