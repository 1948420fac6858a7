/**
 * Checks a resumed job makes before it writes: that its output and logit store belong to it. Shared by
 * rollout jobs (runRollouts) and teacher-reply jobs (runTeacherReplies).
 */
import type { LogitStoreWriter } from "@ssb/logit-store";
import { RolloutError } from "./errors.js";
import type { RolloutJournal } from "./rollout-journal.js";

/** Refuse to resume a problem whose records were sampled from another prompt than the one given now. */
export function refuseChangedPrompt(journal: RolloutJournal, problemId: string, hash: string): void {
  const stored = journal.storedPrompt(problemId);
  if (stored && stored.hash !== hash) {
    throw new RolloutError(
      `${journal.file}:${stored.line}: problem "${problemId}" was sampled from another prompt than the one given now (a changed problems file, --system or chat template?); use a new --out for a different job`,
    );
  }
}

/** Every record already written must have its logits in the store (a resume pointed at another folder). */
export function refuseMissingLogits(
  keysWritten: Iterable<string>,
  writer: LogitStoreWriter,
  outFile: string,
): void {
  let missing = 0;
  let first = "";
  for (const key of keysWritten) {
    if (writer.has(key)) continue;
    if (missing++ === 0) first = key;
  }
  if (missing > 0) {
    throw new RolloutError(
      `${writer.dir}: ${missing} record(s) of ${outFile} have no logits in this store (first: "${first}"); was --capture-logits given another folder than the run that wrote them?`,
    );
  }
}
