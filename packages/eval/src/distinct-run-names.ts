import type { RunSummary } from "./summarize.js";

/**
 * The summaries with every run name that occurs more than once numbered by its position (`base (1)`,
 * `base (2)`); the others are returned as they are. The reports find a run's row, colour and chart spot by its
 * name, so two runs called alike were drawn in one colour on one spot, and their table rows could not be told
 * apart. `ssb-eval report` names such runs by their folders before this; the library's callers get positions.
 */
export function distinctRunNames(runs: readonly RunSummary[]): RunSummary[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.run.name, (count.get(r.run.name) ?? 0) + 1);
  return runs.map((r, i) =>
    (count.get(r.run.name) ?? 0) > 1 ? { ...r, run: { ...r.run, name: `${r.run.name} (${i + 1})` } } : r,
  );
}
