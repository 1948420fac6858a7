/**
 * Ctrl-C (SIGINT) or SIGTERM for the trainers' CLIs: the first one asks the run to stop at its next safe point
 * (after the current step or round, with a checkpoint there, so --resume continues without a gap or a
 * repeat); a second one quits at once. The run reads `signal` between steps (see trainer.ts, @ssb/grpo).
 */

export interface SignalStop {
  /** Aborted on the first SIGINT / SIGTERM. */
  signal: AbortSignal;
  /** Remove the handlers (the default behaviour of the signals returns). */
  dispose(): void;
}

/**
 * Install the handlers. `tag` prefixes the line printed on the first signal ("distill", "grpo"); `unit` is
 * what finishes before the stop ("step", "round").
 */
export function stopOnSignals(tag: string, unit: string): SignalStop {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write(
      `\n[${tag}] ${signal}: stopping after this ${unit} (${signal} again to quit at once)\n`,
    );
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Let the event loop turn once, so a signal handler (a macrotask) queued during synchronous work runs. */
export function yieldToSignals(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
