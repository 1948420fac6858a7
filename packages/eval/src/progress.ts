/**
 * A one-line progress bar with rate and ETA for interactive terminals; on a pipe or file it prints a plain line
 * at most every `logEveryMs`, so logs stay readable.
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBar {
  /** Set the completed count (samples). */
  update(done: number): void;
  finish(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/**
 * The text of the bar, separated from the terminal for testing. `startedAt` is the count already done when timing
 * began (resumed samples), so rate and ETA reflect this session's speed only.
 */
export function progressLine(
  label: string,
  done: number,
  total: number,
  elapsedSec: number,
  startedAt = 0,
  width = 24,
): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const rate = elapsedSec > 0 ? (done - startedAt) / elapsedSec : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.NaN;
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  return `${label} ${bar} ${done}/${total} ${(fraction * 100).toFixed(0)}% ${rate.toFixed(2)}/s ETA ${formatDuration(eta)}`;
}

export function createProgressBar(
  label: string,
  total: number,
  stream: ProgressStream,
  options: { logEveryMs?: number; now?: () => number } = {},
): ProgressBar {
  const now = options.now ?? Date.now;
  const start = now();
  const logEveryMs = options.logEveryMs ?? 30_000;
  let lastLog = start;
  let lastDone = 0;
  let startedAt: number | undefined;
  const render = (done: number) => progressLine(label, done, total, (now() - start) / 1000, startedAt ?? 0);
  return {
    update(done) {
      // The first update carries the samples already done (a resume); rate counts only new ones.
      startedAt ??= done;
      lastDone = done;
      if (stream.isTTY === true) {
        stream.write(`\r${render(done)}\u001b[K`);
      } else if (now() - lastLog >= logEveryMs) {
        lastLog = now();
        stream.write(`${render(done)}\n`);
      }
    },
    finish() {
      stream.write(stream.isTTY === true ? `\r${render(lastDone)}\u001b[K\n` : `${render(lastDone)}\n`);
    },
  };
}
