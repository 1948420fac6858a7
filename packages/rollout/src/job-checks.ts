/**
 * What rollout jobs (runRollouts) and teacher-reply jobs (runTeacherReplies) share around their files: the
 * job's logit store, and the checks a resumed job makes before it writes (its output and store are its own).
 */
import { type LogitStoreWriter, openLogitStoreWriter } from "@ssb/logit-store";
import { RolloutError } from "./errors.js";
import type { Generator } from "./generator.js";
import type { RolloutJournal } from "./rollout-journal.js";
import type { LogitCaptureJob } from "./run-rollouts.js";

/** Open (create) a job's logit store for `gen`'s vocabulary and tokenizer (k 20 and float16 by default). */
export function openJobStore(
  gen: Generator,
  capture: LogitCaptureJob,
  captureTemperature: number,
): Promise<LogitStoreWriter> {
  return openLogitStoreWriter(capture.dir, {
    modelId: gen.modelId,
    tokenizerHash: gen.tokenizer?.fingerprint() ?? "none",
    vocabSize: gen.vocabSize,
    k: capture.k ?? 20,
    dtype: capture.dtype ?? "float16",
    captureTemperature,
  });
}

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
