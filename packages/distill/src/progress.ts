/** A one-line progress display: redrawn in place on a TTY, a plain line every `every` steps otherwise. */
export interface Progress {
  update(step: number, fields: Record<string, string>): void;
  done(): void;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`;
}

export function createProgress(
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
  every = 10,
  startStep = 0,
): Progress {
  const start = Date.now();
  const tty = Boolean(stream.isTTY);
  let last = "";
  return {
    update(step, fields) {
      const done = step - startStep;
      const elapsed = (Date.now() - start) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - step) : Number.NaN;
      const width = 24;
      const filled = Math.round((step / total) * width);
      const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join("  ");
      last = `${bar} ${step}/${total}  ${extra}  ETA ${formatSeconds(eta)}`;
      if (tty) stream.write(`\r${last}\x1b[K`);
      else if (step % every === 0 || step === total) stream.write(`${last}\n`);
    },
    done() {
      if (tty && last) stream.write("\n");
    },
  };
}
