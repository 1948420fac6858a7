/**
 * The trainers' progress bar (distill and @ssb/grpo): @ssb/cli-kit's bar, the one every ssb command shows,
 * counting steps from where a resumed run starts, with the step's own numbers (loss, tokens/s) after the rate.
 * Redrawn in place on a terminal; in a log, a line every `every` steps and at least every 30 s.
 */
import { createProgressBar, type ProgressStream } from "@ssb/cli-kit";

export interface Progress {
  /** `step`: steps done (a resumed run's earlier ones included); `fields`: shown as `name value`, in order. */
  update(step: number, fields: Readonly<Record<string, string>>): void;
  done(): void;
}

export function createProgress(
  total: number,
  stream: ProgressStream = process.stderr,
  every = 10,
  startStep = 0,
): Progress {
  const bar = createProgressBar(total, { unit: "steps", stream, logEvery: every });
  bar.update(startStep); // where this run begins: the rate and ETA count its own steps only
  return {
    update(step, fields) {
      bar.update(
        step,
        Object.entries(fields).map(([name, value]) => `${name} ${value}`),
      );
    },
    done() {
      bar.finish();
    },
  };
}
