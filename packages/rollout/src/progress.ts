/**
 * A one-line progress bar (sequences, tokens/s, ETA), redrawn in place on a terminal; elsewhere (a log
 * file, CI) the same line is printed now and then, so a long job still shows that it moves.
 */
import type { GenerateProgress } from "./generator.js";

export interface ProgressBar {
  /** `offset`: sequences done before this run (a resumed job); default the bar's own. */
  update(p: GenerateProgress, offset?: number): void;
  done(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
      ? `${m}m${String(sec).padStart(2, "0")}s`
      : `${sec}s`;
}

/** The bar's text for a progress snapshot (`offset` sequences were done before this run started). */
export function formatProgress(p: GenerateProgress, offset = 0, width = 24): string {
  const total = p.totalSequences + offset;
  const done = p.finishedSequences + offset;
  const frac = total === 0 ? 1 : done / total;
  const filled = Math.round(frac * width);
  const secs = p.elapsedMs / 1000;
  const tps = secs > 0 ? p.generatedTokens / secs : 0;
  const eta =
    p.finishedSequences > 0
      ? (secs * (p.totalSequences - p.finishedSequences)) / p.finishedSequences
      : Number.NaN;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} seqs  ${tps.toFixed(0)} tok/s  ${p.activeRows} active  elapsed ${formatDuration(secs)}  ETA ${formatDuration(eta)}`;
}

/**
 * `offset`: sequences done before this run; `everyMs`: redraw interval on a terminal; `logEveryMs`: interval
 * of the printed lines when `stream` is not a terminal (0: none).
 */
export function createProgressBar(
  stream: NodeJS.WriteStream = process.stderr,
  offset = 0,
  everyMs = 200,
  logEveryMs = 30_000,
): ProgressBar {
  const tty = stream.isTTY === true;
  if (!tty && logEveryMs <= 0) return { update: () => {}, done: () => {} };
  let last = Date.now();
  let lastText = "";
  return {
    update(p, at = offset) {
      const t = Date.now();
      const finished = p.finishedSequences >= p.totalSequences;
      if (tty) {
        if (t - last < everyMs && !finished && lastText !== "") return;
        last = t;
        lastText = formatProgress(p, at);
        stream.write(`\r${lastText}\x1b[K`);
      } else if (t - last >= logEveryMs) {
        last = t;
        stream.write(`${formatProgress(p, at)}\n`);
      }
    },
    done() {
      if (tty && lastText !== "") stream.write("\n");
    },
  };
}
