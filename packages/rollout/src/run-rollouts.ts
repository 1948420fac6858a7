/**
 * A resumable rollout job: problems × n samples -> rollouts JSONL (+ optional logit store).
 *
 * Resume: pairs already in the JSONL are skipped. With logit capture the JSONL trails the store: records
 * are held until the store's current shard is completed (flushed), then written, so every pair in the JSONL
 * has its logits on disk. A crash loses the held records and their logits alike (the store drops its
 * unfinished shard and lists them in `redo`); a pair whose logits made it but whose record did not is
 * regenerated (same seed, same ids) without capturing again.
 */
import type { LogitDtype, LogitStoreWriter } from "@ssb/logit-store";
import { RolloutError } from "./errors.js";
import { modelFingerprint, promptFingerprint } from "./fingerprints.js";
import type {
  FinishedSequence,
  GenerateProgress,
  Generator,
  PromptInput,
  RefillPolicy,
} from "./generator.js";
import {
  openJobStore,
  refuseChangedPrompt,
  refuseMissingLogits,
  type StoredEarlier,
  storedEarlier,
} from "./job-checks.js";
import type { ProblemPrompt } from "./problems-file.js";
import { drainInto, jobTally, recordSink } from "./record-sink.js";
import { openRolloutJournal, type RolloutRecord } from "./rollout-journal.js";
import { dropUndefined, resolveSampling, type SamplingParams } from "./sampling-params.js";

export interface LogitCaptureJob {
  dir: string;
  /** Entries per token (default 20). */
  k?: number;
  /** Storage type of the logits (default float16). */
  dtype?: LogitDtype;
}

export interface RolloutJobOptions {
  generator: Generator;
  problems: readonly ProblemPrompt[];
  n: number;
  sampling?: Partial<SamplingParams>;
  outFile: string;
  capture?: LogitCaptureJob;
  maxBatch?: number;
  refill?: RefillPolicy;
  /** With capture: complete a logit shard and write the held records every this many sequences (default 64). */
  flushEvery?: number;
  onProgress?: (p: GenerateProgress, alreadyDone: number) => void;
  signal?: AbortSignal;
}

export interface RolloutJobSummary {
  /** Records written by this run. */
  written: number;
  /** This job's (problem, sample) pairs found in the output from an earlier run. */
  skipped: number;
  /** This job's pairs: problems x n. */
  total: number;
  generatedTokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** True when the job stopped on its abort signal; what had finished is saved, and a rerun resumes. */
  interrupted: boolean;
}

/**
 * The most (problem, sample) pairs one job takes: the work list holds every pair up front, so a mistyped n
 * (1e12) would exhaust memory before the first token. 16.7M replies are months of decoding; split bigger jobs.
 */
export const MAX_JOB_PAIRS = 2 ** 24;

export const captureKeyFor = (problemId: string, sampleIndex: number): string =>
  `${problemId}#${sampleIndex}`;

interface Work {
  problem: ProblemPrompt;
  ids: number[];
  hash: string;
  missing: number[];
}

/**
 * The job's work list: every problem's prompt ids (encoded now, so a model that cannot encode them fails
 * before any file is made) and its samples missing from the output.
 */
function planWork(
  gen: Generator,
  problems: readonly ProblemPrompt[],
  n: number,
  done: (problemId: string, sampleIndex: number) => boolean,
): Work[] {
  return problems.map((problem) => {
    const input: PromptInput = { id: problem.id };
    if (problem.messages) input.messages = problem.messages;
    const ids = problem.promptIds ?? gen.encodePrompt(input);
    const missing: number[] = [];
    for (let i = 0; i < n; i++) if (!done(problem.id, i)) missing.push(i);
    return { problem, ids, hash: promptFingerprint(ids), missing };
  });
}

/** Every prompt must leave room in the model's context for a reply token; all offenders are named at once. */
function checkContext(work: readonly Work[], maxContext: number): void {
  const long = work.filter((w) => w.ids.length + 1 > maxContext);
  if (long.length === 0) return;
  const named = long
    .slice(0, 5)
    .map((w) => `"${w.problem.id}" (${w.ids.length} tokens)`)
    .join(", ");
  throw new RolloutError(
    `${long.length} problem(s) do not fit in the model's context of ${maxContext} positions (max_position_embeddings) with room for a reply: ${named}${long.length > 5 ? ", ..." : ""}; drop or shorten them`,
  );
}

export async function runRollouts(options: RolloutJobOptions): Promise<RolloutJobSummary> {
  const gen = options.generator;
  const n = options.n;
  if (!(Number.isInteger(n) && n >= 1)) throw new RolloutError(`n must be an integer >= 1, found ${n}`);
  if (options.problems.length * n > MAX_JOB_PAIRS)
    throw new RolloutError(
      `n ${n} x ${options.problems.length} problem(s) is more than the ${MAX_JOB_PAIRS} pairs one job takes; split the job`,
    );
  const sampling = resolveSampling(
    { stopTokenIds: gen.defaultStopTokenIds(), ...dropUndefined(options.sampling ?? {}) },
    undefined,
    "rollout sampling",
  );
  const captureK = options.capture?.k ?? 20;
  const captureDtype = options.capture?.dtype ?? "float16";
  // Encoded before the output is opened: a problem the model cannot take fails without leaving files.
  const encoded = planWork(gen, options.problems, n, () => false);
  checkContext(encoded, gen.maxContext);
  const journal = openRolloutJournal(
    options.outFile,
    {
      modelId: gen.modelId,
      modelFingerprint: modelFingerprint(gen.session.file),
      n,
      sampling,
      capture: options.capture ? { k: captureK, dtype: captureDtype } : null,
    },
    // Outputs written before the model fingerprint was stored lack it; it is added on their next run.
    { mayChange: ["n"], addedLater: ["modelFingerprint"] },
  );
  let writer: LogitStoreWriter | null = null;
  let earlier: StoredEarlier | null = null;
  const tally = jobTally();
  try {
    const work = encoded.map((w) => {
      const missing = w.missing.filter((i) => !journal.has(w.problem.id, i));
      return { ...w, missing };
    });
    for (const w of work) if (w.missing.length < n) refuseChangedPrompt(journal, w.problem.id, w.hash);
    if (options.capture) {
      const writtenKeys = work.flatMap((w) => {
        const missing = new Set(w.missing); // a Set: includes() on the list is quadratic in n
        return Array.from({ length: n }, (_, i) => i)
          .filter((i) => !missing.has(i))
          .map((i) => captureKeyFor(w.problem.id, i));
      });
      await refuseMissingLogits(writtenKeys, options.capture.dir, options.outFile);
      writer = await openJobStore(gen, options.capture, sampling.temperature);
    }
    const prompts: PromptInput[] = [];
    for (const w of work) {
      tally.total += n;
      tally.skipped += n - w.missing.length;
      if (w.missing.length > 0) prompts.push({ id: w.problem.id, tokenIds: w.ids, sampleIndices: w.missing });
    }
    earlier = await storedEarlier(
      writer,
      work.flatMap((w) => w.missing.map((i) => captureKeyFor(w.problem.id, i))),
    );
    const byId = new Map(work.map((w) => [w.problem.id, w]));
    const toRecord = (s: FinishedSequence): RolloutRecord => {
      const w = byId.get(s.promptId) as Work;
      const rec: RolloutRecord = {
        problemId: s.promptId,
        sampleIndex: s.sampleIndex,
        text: s.text,
        tokenIds: s.tokenIds,
        finishReason: s.finishReason,
        promptTokens: s.promptTokens,
        promptHash: w.hash,
        sampling: { ...sampling },
        seed: s.seed,
        modelId: gen.modelId,
      };
      if (w.problem.messages) rec.prompt = w.problem.messages;
      if (s.logitKey !== undefined) rec.logitKey = s.logitKey;
      return rec;
    };
    const genOptions: Parameters<Generator["generate"]>[1] = {
      sampling,
      onProgress: (p) => options.onProgress?.(p, tally.skipped),
    };
    if (options.maxBatch !== undefined) genOptions.maxBatch = options.maxBatch;
    if (options.refill !== undefined) genOptions.refill = options.refill;
    if (options.signal) genOptions.signal = options.signal;
    if (writer) genOptions.capture = { writer, key: captureKeyFor };
    const sink = recordSink<RolloutRecord>(journal, writer, options.flushEvery ?? 64);
    const interrupted = await drainInto(
      gen.generate(prompts, genOptions),
      async (s) => {
        earlier?.check(captureKeyFor(s.promptId, s.sampleIndex), s.tokenIds, "this run sampled for it");
        tally.add(s.tokenIds.length);
        await sink.add(toRecord(s));
      },
      sink,
      options.signal,
    );
    if (!interrupted) {
      const rank = new Map(options.problems.map((p, i) => [p.id, i]));
      journal.sortLines((id) => rank.get(id));
    }
    return tally.summary(interrupted);
  } catch (e) {
    journal.discardIfUnused(); // refused before its first record: no files left to pin its settings
    throw e;
  } finally {
    earlier?.close();
    journal.close();
    await writer?.close();
  }
}
