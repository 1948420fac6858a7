/** A one-line progress bar (sequences, tokens/s, ETA) for terminals; silent when stderr is not a TTY. */
import type { GenerateProgress } from "./generator.js";

export interface ProgressBar {
  update(p: GenerateProgress): void;
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

export function createProgressBar(
  stream: NodeJS.WriteStream = process.stderr,
  offset = 0,
  everyMs = 200,
): ProgressBar {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let last = 0;
  let lastText = "";
  return {
    update(p) {
      const t = Date.now();
      if (t - last < everyMs && p.finishedSequences < p.totalSequences) return;
      last = t;
      lastText = formatProgress(p, offset);
      stream.write(`\r${lastText}\x1b[K`);
    },
    done() {
      if (lastText !== "") stream.write("\n");
    },
  };
}
