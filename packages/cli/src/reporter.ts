/**
 * Where the CLI talks: lines and progress bars on stderr (stdout stays free for `--json`). Progress bars are
 * @ssb/cli-kit's, as in every ssb command (rate and ETA; a redrawn line on a terminal, a periodic plain line in
 * a log).
 */
import { createProgressBar, type ProgressBar, silentProgressBar } from "@ssb/cli-kit";

export interface Reporter {
  info(line: string): void;
  /**
   * A line the user must see even with --quiet (a setting cut short, data that inflates the results).
   * Optional so that reporters written before it keep working: without it, `warnLine` writes to stderr.
   */
  warn?(line: string): void;
  bar(label: string, total: number): ProgressBar;
}

export interface ReporterStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export function createReporter(stream: ReporterStream = process.stderr, quiet = false): Reporter {
  return {
    info(line) {
      if (!quiet) stream.write(`${line}\n`);
    },
    warn(line) {
      stream.write(`warning: ${line}\n`);
    },
    bar(label, total) {
      return quiet
        ? silentProgressBar
        : createProgressBar(total, { label: label.padEnd(9), stream, logEveryMs: 10_000 });
    },
  };
}

/** Send a warning through the reporter, or to stderr when the reporter has no `warn`. */
export function warnLine(reporter: Reporter, line: string): void {
  if (reporter.warn) reporter.warn(line);
  else process.stderr.write(`warning: ${line}\n`);
}
