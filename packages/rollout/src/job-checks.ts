/**
 * What rollout jobs (runRollouts) and teacher-reply jobs (runTeacherReplies) share around their files: the
 * job's logit store, and the checks a resumed job makes before it writes (its output and store are its own).
 */
import { basename, dirname, resolve } from "node:path";
import {
  type LogitStoreWriter,
  logitStoreExists,
  openLogitStore,
  openLogitStoreWriter,
} from "@ssb/logit-store";
import { RolloutError } from "./errors.js";
import type { Generator } from "./generator.js";
import type { RolloutJournal, StoredPairs } from "./rollout-journal.js";
import type { LogitCaptureJob } from "./run-rollouts.js";
import { sameSampling } from "./sampling-params.js";

/**
 * A job's output resumed on another execution provider (rollout-journal's `history`): allowed, since every
 * record is a sample of the same model under the same seeds, but said, and the output's settings list every
 * provider that wrote records (`executionProvider`: the one actually used, so `auto` records "cuda" or "cpu").
 * Providers round floats differently, so a record can hold other ids than a run on one provider would have
 * sampled. Thread counts are not recorded: they do not change the ids.
 */
export const EXECUTION_PROVIDER_HISTORY: Readonly<
  Record<string, (stored: readonly unknown[], wanted: unknown) => string>
> = {
  executionProvider: (stored, wanted) =>
    `note: this output's records so far were generated on ${stored.map(String).join(", then ")}, and this run is on ${String(wanted)}; providers round floats differently, so from here its samples can differ from the ones a run on ${String(stored.at(-1))} alone would have drawn (the same model and seeds: still valid samples). The settings file lists both; for one provider's bytes, resume with --ep ${String(stored.at(-1))} (executionProvider in code or in ssb run's config) or use a new --out.`,
};

/**
 * Open (create) the logit store of the job writing `outFile`, for `gen`'s vocabulary and tokenizer (k 20 and
 * float16 by default).
 */
export function openJobStore(
  gen: Generator,
  capture: LogitCaptureJob,
  captureTemperature: number,
  outFile: string,
  modelId: string = gen.modelId,
): Promise<LogitStoreWriter> {
  // The job's own output may sit in the store's folder (its JSONL, settings, lock and temp files); any other
  // file in a folder without a store is refused by the writer before it writes there.
  const own = dirname(resolve(outFile)) === resolve(capture.dir) ? basename(outFile) : null;
  return openLogitStoreWriter(
    capture.dir,
    {
      modelId,
      tokenizerHash: gen.tokenizer?.fingerprint() ?? "none",
      vocabSize: gen.vocabSize,
      k: capture.k ?? 20,
      dtype: capture.dtype ?? "float16",
      captureTemperature,
    },
    {
      ownFiles: (name) => own !== null && (name === own || name.startsWith(`${own}.`)),
      compression: capture.compression ?? null,
    },
  );
}

/**
 * Refuse a job whose ids are not unique, naming the first repeated one and where both are (`at`): records
 * are matched to their work by id, so a repeat would be skipped as "already written" once its twin is done
 * (and, with capture, store its logits under the twin's key). `what` names the ids ("problem id", ...).
 */
export function refuseRepeatedIds(entries: readonly { id: string; at: string }[], what: string): void {
  const first = new Map<string, string>();
  for (const { id, at } of entries) {
    const earlier = first.get(id);
    if (earlier !== undefined)
      throw new RolloutError(`${what} "${id}" appears twice (${earlier} and ${at}); ids must be unique`);
    first.set(id, at);
  }
}

/**
 * Refuse to resume a problem whose records (in `file`, as `stored` holds them) were sampled from another prompt
 * than the one given now; `hint` (changedPromptHint) names a likelier cause and its remedy. A job calls it from
 * the journal's checkStored, so a refused resume leaves the output's settings as they were.
 */
export function refuseChangedPrompt(
  file: string,
  stored: StoredPairs,
  problemId: string,
  hash: string,
  hint?: string,
): void {
  const prompt = stored.prompts.get(problemId);
  if (prompt && prompt.hash !== hash) {
    throw new RolloutError(
      `${file}:${prompt.line}: problem "${problemId}" was sampled from another prompt than the one given now (a changed problems file, --system or chat template?); ${hint !== undefined ? `${hint}; else ` : ""}use a new --out for a different job`,
    );
  }
}

/**
 * Every record already written must have its logits in the job's store (a resume pointed at another folder is
 * refused). Checked on a read-only snapshot before the writer opens the store, so a refusal creates no store
 * folder and leaves an existing store as it was (opening a writer would create or recover it).
 */
export async function refuseMissingLogits(
  keysWritten: readonly string[],
  storeDir: string,
  outFile: string,
): Promise<void> {
  if (keysWritten.length === 0) return;
  const hint = `was --capture-logits given another folder than the run that wrote them? (nothing was created or changed)`;
  if (!logitStoreExists(storeDir)) {
    throw new RolloutError(
      `${resolve(storeDir)}: holds no logit store, but ${keysWritten.length} record(s) of ${outFile} have their logits in one (first: "${keysWritten[0]}"); ${hint}`,
    );
  }
  const store = await openLogitStore(storeDir);
  try {
    const missing = keysWritten.filter((key) => !store.has(key));
    if (missing.length > 0) {
      throw new RolloutError(
        `${store.dir}: ${missing.length} record(s) of ${outFile} have no logits in this store (first: "${missing[0]}"); ${hint}`,
      );
    }
  } finally {
    store.close();
  }
}

/** Checks of pairs re-sampled because an earlier run stored their logits (see storedEarlier). */
export interface StoredEarlier {
  /** Refuse when `key` was stored earlier with other tokens; `sampledBy` says who sampled them now. */
  check(key: string, tokenIds: readonly number[], sampledBy: string): void;
  close(): void;
}

/**
 * The keys among `keys` that `writer`'s store already holds: an earlier run stored their logits and died
 * before writing their records. The generator samples such a pair again without capture; it must come out
 * as the stored tokens, or the store holds another job's logits under the same key. Null when there is none.
 */
export async function storedEarlier(
  writer: LogitStoreWriter | null,
  keys: Iterable<string>,
): Promise<StoredEarlier | null> {
  if (!writer) return null;
  const held = new Set<string>();
  for (const key of keys) if (writer.has(key)) held.add(key);
  if (held.size === 0) return null;
  const reader = await openLogitStore(writer.dir);
  return {
    check(key, tokenIds, sampledBy) {
      if (!held.has(key)) return;
      const stored = reader.read(key).tokenIds;
      if (stored.length !== tokenIds.length || tokenIds.some((t, i) => stored[i] !== t)) {
        throw new RolloutError(
          `${reader.dir}: example "${key}" holds other tokens than ${sampledBy}: the store was written by another job (other seed, sampling, prompts or model); use a fresh logit store`,
        );
      }
    },
    close: () => reader.close(),
  };
}

/**
 * Records of problems outside this job (a smaller --limit, another problems file) stay in the output, as they
 * were; said once, so a job's count of "n/n of this job" is not taken for the whole file.
 */
export function noteOtherProblems(
  journal: RolloutJournal,
  problems: readonly { id: string }[],
  warn: (message: string) => void,
): void {
  const ids = new Set(problems.map((p) => p.id));
  let records = 0;
  let count = 0;
  let first: string | undefined;
  for (const [id, held] of journal.stored.perProblem) {
    if (ids.has(id)) continue;
    records += held;
    count++;
    first ??= id;
  }
  if (count === 0) return;
  warn(
    `note: ${journal.file} also holds ${records} record(s) of ${count} problem(s) not in this job (first: "${first}"; a smaller --limit or another problems file?); they are kept as they are`,
  );
}

/** What runRollouts and runTeacherReplies tell openRolloutJournal to compare by meaning (see its options). */
export const RESUME_EQUIVALENCE = {
  sameValue: { sampling: sameSampling },
  keptWhenSame: { modelId: "modelFingerprint" },
} as const;

/**
 * The settings a resumed job continues with: the output's stored sampling and model id where they differ from
 * this run's only in ways that cannot change the records (checked by the journal: stop lists in another
 * order, the same model files under another id), so its records and logit store stay uniform. A changed model
 * id is said once.
 */
export function resumedSettings<S>(
  journal: RolloutJournal,
  sampling: S,
  modelId: string,
  warn: (message: string) => void,
): { sampling: S; modelId: string } {
  const stored = journal.stored.settings;
  const storedId = stored?.modelId;
  const id = typeof storedId === "string" ? storedId : modelId;
  if (id !== modelId)
    warn(
      `note: the model id is now "${modelId}", and ${journal.file} was written under "${id}"; the model files are the same (equal fingerprint: a copied or renamed export folder?), so this run goes on under "${id}" in its records and settings`,
    );
  return { sampling: stored?.sampling !== undefined ? (stored.sampling as S) : sampling, modelId: id };
}
