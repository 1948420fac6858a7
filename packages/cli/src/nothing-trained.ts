/**
 * Why a run trained nothing: curation kept no pairs. A random or tiny model's rollouts often all run to
 * rollout.maxNewTokens without a \boxed{} answer; the line says so with curation's own counts, so that the
 * user sees what to change instead of only "nothing to train".
 */
import { type CurationSummary, readJsonl } from "@ssb/curation";

/** Rollouts in rollouts.jsonl, and those that stopped at maxNewTokens (finishReason "length"). */
export async function countTruncated(file: string): Promise<{ total: number; truncated: number }> {
  let total = 0;
  let truncated = 0;
  for await (const { value } of readJsonl(file)) {
    total++;
    const reason =
      typeof value === "object" && value !== null ? (value as { finishReason?: unknown }).finishReason : null;
    if (reason === "length") truncated++;
  }
  return { total, truncated };
}

export interface NothingTrainedInput {
  curation: CurationSummary;
  /** From rollouts.jsonl; null when it could not be read. */
  rollouts: { total: number; truncated: number } | null;
  rolloutMaxNewTokens: number;
}

/** One line: curation's counts and drop reasons, and how many rollouts hit the token cap. */
export function nothingTrainedReason(input: NothingTrainedInput): string {
  const c = input.curation;
  const reasons = Object.entries(c.dropped.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ");
  const r = c.rollouts;
  const parts = [
    `of ${c.problems} problems ${c.selected} had a correct and a wrong rollout to pair, ${c.kept ?? 0} pairs kept, ` +
      `${c.dropped.total} dropped${reasons === "" ? "" : ` (${reasons})`}`,
    `rollouts: ${r.correct} correct, ${r.wrong} wrong, ${r.noAnswer} with no answer`,
  ];
  if (input.rollouts !== null && input.rollouts.total > 0)
    parts.push(
      `${input.rollouts.truncated} of ${input.rollouts.total} rollouts stopped at rollout.maxNewTokens ` +
        `(${input.rolloutMaxNewTokens}) before finishing`,
    );
  return parts.join("; ");
}

/**
 * The last line of an `ssb run` that trained nothing (exit status 0: every stage did its job, the data gave
 * it nothing to train on), or null when a student was trained.
 */
export function nothingTrainedWarning(
  stages: readonly { stage: string; stats: Record<string, unknown> }[],
): string | null {
  const distill = stages.find((s) => s.stage === "distill");
  if (distill === undefined || distill.stats.trained !== false) return null;
  const reason = typeof distill.stats.reason === "string" ? ` (${distill.stats.reason})` : "";
  return (
    `this run trained nothing: curation kept no pairs${reason}, so there is no student; the report gives ` +
    "the base model only. Exit status 0: the stages ran, the data gave them nothing to train on"
  );
}
