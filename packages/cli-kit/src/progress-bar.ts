/**
 * A one-line progress bar with rate and ETA: redrawn in place on a terminal, a plain line now and then in a log
 * file or CI, so a long job shows that it moves in both without flooding the log.
 *
 * Written here rather than taken from cli-progress (the common npm choice), which, tried for this: prints a line
 * for every update when the stream is not a terminal (a rollout updates every decode step), keeps the process
 * alive with its redraw timer when a bar is not stopped (a job that fails midway would then never exit), and
 * leaves the rate for a resumed job to the caller anyway. This bar has no timer: it draws from `update`.
 */
import { type ProgressState, progressLine } from "./progress-line.js";

/** Where a bar writes: process.stderr, or anything with `write` (tests, a reporter). */
export interface ProgressStream {
  isTTY?: boolean;
  /** A terminal's width: lines are cut to fit, since a wrapped line cannot be redrawn in place. */
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBarOptions {
  /** Printed before the bar (a command or stage name). */
  label?: string;
  /** What is counted ("seqs", "samples", "steps"). */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** On a terminal: redraw at most this often (default 200 ms); reaching the total always draws. */
  redrawMs?: number;
  /** Elsewhere: a line at most this often (default 30 s; 0: none by time). */
  logEveryMs?: number;
  /** Elsewhere: also a line each time `done` reaches a multiple of this (training steps; default: off). */
  logEvery?: number;
  /** Characters in the bar (default 24). */
  width?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

export interface ProgressBar {
  /**
   * `done`: units finished so far, an earlier run's included. The first update's `done` is where this run
   * began (a resumed job), so the rate and ETA count this run's work only. `extra` parts are shown after the
   * rate (`loss 0.520`, `2067 tok/s`).
   */
  update(done: number, extra?: readonly string[]): void;
  /** Ends the bar: a terminal's line is drawn a last time and ended; a log gets the last line if it lacks it. */
  finish(): void;
}

/** A bar that shows nothing (`--quiet`, progress turned off). */
export const silentProgressBar: ProgressBar = { update() {}, finish() {} };

/** Cuts a line to a terminal's width (less one column: writing the last one wraps on some terminals). */
function fit(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2) return line;
  const chars = Array.from(line);
  return chars.length < columns ? line : chars.slice(0, columns - 1).join("");
}

export function createProgressBar(total: number, options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 200;
  const logEveryMs = options.logEveryMs ?? 30_000;
  const logEvery = options.logEvery ?? 0;
  const start = now();
  let startedAt: number | undefined;
  let state: ProgressState | null = null;
  let lastDrawAt = Number.NEGATIVE_INFINITY;
  let lastLogAt = start;
  let lastLoggedDone: number | null = null;
  const line = (): string =>
    progressLine({ ...(state as ProgressState), elapsedSec: (now() - start) / 1000 });
  const draw = (): void => {
    stream.write(`\r${fit(line(), stream.columns)}\u001b[K`);
  };
  const log = (): void => {
    stream.write(`${line()}\n`);
    lastLoggedDone = state?.done ?? null;
  };
  return {
    update(done, extra) {
      startedAt ??= done;
      state = {
        done,
        total,
        startedAt,
        elapsedSec: 0,
        ...(options.label !== undefined ? { label: options.label } : {}),
        ...(options.unit !== undefined ? { unit: options.unit } : {}),
        ...(extra !== undefined ? { extra } : {}),
        ...(options.width !== undefined ? { width: options.width } : {}),
      };
      const t = now();
      if (tty) {
        if (t - lastDrawAt < redrawMs && done < total) return;
        lastDrawAt = t;
        draw();
        return;
      }
      const byTime = logEveryMs > 0 && t - lastLogAt >= logEveryMs;
      const byCount = logEvery > 0 && done % logEvery === 0 && done > startedAt;
      // The last unit gets its line at once: a job's end should not wait for finish() or the next interval.
      if ((byTime || byCount || done >= total) && done !== lastLoggedDone) {
        lastLogAt = t;
        log();
      }
    },
    finish() {
      if (state === null) return;
      if (tty) {
        draw();
        stream.write("\n");
      } else if (lastLoggedDone !== state.done) {
        log();
      }
    },
  };
}
