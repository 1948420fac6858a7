/**
 * Ctrl-C (SIGINT) and SIGTERM for a job that can stop at a safe point: the first signal aborts `signal`, which
 * the job reads between units of work (a decode step, a training step), and says what happens now; a second
 * one exits at once with status 130. Without a listener Node would exit midway with no word on what was kept.
 */

export interface SignalStop {
  /** Aborted on the first SIGINT or SIGTERM, with `Error("stopped by SIGINT")` as its reason. */
  signal: AbortSignal;
  /** Removes the handlers, so the signals' default behaviour returns. */
  dispose(): void;
}

/** `onFirst` is called with the first signal's name (to print what the job does now: "saving what finished"). */
export function stopOnSignals(onFirst?: (signal: NodeJS.Signals) => void): SignalStop {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.exit(130);
      return;
    }
    onFirst?.(name);
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
