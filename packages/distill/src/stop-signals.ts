/**
 * Ctrl-C (SIGINT) or SIGTERM for the trainers' CLIs: the first one asks the run to stop at its next safe point
 * (after the current step or round, with a checkpoint there, so --resume continues without a gap or a
 * repeat); a second one quits at once. The run reads `signal` between steps (see trainer.ts, @ssb/grpo).
 */
import { type SignalStop, stopOnSignals as stopOnSignalsThen } from "@ssb/cli-kit";

export type { SignalStop };

/**
 * Install the handlers. `tag` prefixes the line printed on the first signal ("distill", "grpo"); `unit` is
 * what finishes before the stop ("step", "round").
 */
export function stopOnSignals(tag: string, unit: string): SignalStop {
  return stopOnSignalsThen((signal) =>
    process.stderr.write(
      `\n[${tag}] ${signal}: stopping after this ${unit} (${signal} again to quit at once)\n`,
    ),
  );
}

/** Let the event loop turn once, so a signal handler (a macrotask) queued during synchronous work runs. */
export function yieldToSignals(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
