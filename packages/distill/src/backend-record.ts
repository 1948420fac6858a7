/**
 * Which tfjs backend trained which steps of a run, kept in its checkpoints' state (trainer_state.json,
 * @ssb/grpo's grpo_state.json). A resume on another backend is allowed (the kernels differ, so the numbers
 * differ in rounding only) but said in the log, and the record shows afterwards which steps ran where.
 */

export interface BackendSpan {
  /** "tfjs-node-gpu", "tfjs-node", "wasm" or "cpu" (selectBackend's provider), or tfjs' own name. */
  backend: string;
  /** First and last step (or round) it trained, counted from 1 as in metrics.jsonl. */
  firstStep: number;
  lastStep: number;
}

/** The spans of a stored state, or none: older checkpoints have no record, and a damaged one is not trusted. */
export function storedBackendSpans(value: unknown): BackendSpan[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (s): s is BackendSpan =>
      typeof s === "object" &&
      s !== null &&
      typeof s.backend === "string" &&
      Number.isInteger(s.firstStep) &&
      Number.isInteger(s.lastStep),
  );
}

/**
 * `spans` with steps `firstStep`..`lastStep` on `backend` added (none when lastStep < firstStep): a span on the
 * same backend that ends right before is extended, so a run resumed on one backend keeps one span.
 */
export function withBackendSpan(
  spans: readonly BackendSpan[],
  backend: string,
  firstStep: number,
  lastStep: number,
): BackendSpan[] {
  if (lastStep < firstStep) return [...spans];
  const last = spans.at(-1);
  if (last && last.backend === backend && last.lastStep === firstStep - 1)
    return [...spans.slice(0, -1), { ...last, lastStep }];
  return [...spans, { backend, firstStep, lastStep }];
}

/**
 * The line a resume logs when it goes on with another backend than the one that trained the checkpoint's last
 * step, naming both (and every earlier span), or null when the backend is the same or unrecorded.
 */
export function backendChangeNote(spans: readonly BackendSpan[], now: string, unit: string): string | null {
  const last = spans.at(-1);
  if (!last || last.backend === now) return null;
  const ran = spans.map((s) => `${s.firstStep}-${s.lastStep} on ${s.backend}`).join(", ");
  return `resuming on ${now} where ${last.backend} trained the checkpoint's last ${unit} (${unit}s ${ran}); allowed, the results differ from a run on one backend in rounding only`;
}
