/**
 * A resumable teacher-reply job: @ssb/curation's teacher-prompts.jsonl in, one reply per request out
 * (`{id, problemId, sampleIndex, text, tokenIds, finishReason, logitKey?, ...}`, the JSONL that
 * `ssb-curate --teacher-replies` reads), with the replies' top-k logits captured under their request ids.
 * Each request samples with its own settings and seed (the curation adapter, createTeacherGenerator), so a
 * rerun repeats it exactly. Resume, held records and the checks on a resumed output are those of rollout
 * jobs (runRollouts): a request is a (problem, sample) pair whose sample index is its attempt's position.
 */
import { createHash } from "node:crypto";
import type { LogitStoreWriter } from "@ssb/logit-store";
import type { ChatMessage, ChatTemplateKwargs } from "@ssb/model";
import { RolloutError } from "./errors.js";
import { modelFingerprint, promptFingerprint } from "./fingerprints.js";
import type { GenerateProgress, Generator } from "./generator.js";
import {
  EXECUTION_PROVIDER_HISTORY,
  noteOtherProblems,
  openJobStore,
  RESUME_EQUIVALENCE,
  refuseChangedPrompt,
  refuseMissingLogits,
  refuseRepeatedIds,
  resumedSettings,
} from "./job-checks.js";
import { jobChatTemplateKwargs } from "./job-template-kwargs.js";
import { drainInto, jobTally, recordSink } from "./record-sink.js";
import { openRolloutJournal } from "./rollout-journal.js";
import { CAPTURE_JOB_KEYS, type LogitCaptureJob, type RolloutJobSummary } from "./run-rollouts.js";
import { dropUndefined, resolveSampling, type SamplingParams } from "./sampling-params.js";
import type { FinishReason } from "./sequence.js";
import {
  createTeacherGenerator,
  type TeacherGenerationRequest,
  type TeacherSamplingInput,
} from "./teacher-generator.js";
import type { TeacherPromptLine } from "./teacher-prompts-file.js";
import { changedPromptHint, jobTemplateDate } from "./template-date.js";
import { refuseUnknownKeys } from "./unknown-keys.js";

export interface TeacherRepliesJobOptions {
  generator: Generator;
  prompts: readonly TeacherPromptLine[];
  outFile: string;
  capture?: LogitCaptureJob;
  /** Settings requests do not carry: stop ids / strings, min-p, repetition penalty, default max tokens. */
  sampling?: Partial<SamplingParams>;
  maxBatch?: number;
  /** With capture: complete a logit shard and write the held records every this many replies (default 64). */
  flushEvery?: number;
  onProgress?: (p: GenerateProgress, alreadyDone: number) => void;
  signal?: AbortSignal;
  /** Told what resuming repaired in the output (a torn last line dropped), naming file and line (default: console.warn). */
  warn?: (message: string) => void;
  /**
   * The day ("YYYY-MM-DD") a chat template that reads the date writes into the prompts (as runRollouts'
   * templateDate): default the output's recorded day, else today (local), recorded at the first start.
   */
  templateDate?: string;
  /**
   * Extra chat template variables for every prompt (as runRollouts' chatTemplateKwargs, e.g. Qwen3's
   * `{"enable_thinking": false}`): recorded in the settings when there are any, default the recorded ones,
   * other ones refused. Non-empty kwargs also end each reply's `teacher` identity (createTeacherGenerator).
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

/** Every key of TeacherRepliesJobOptions, for runTeacherReplies' check (kept in step by the `satisfies`). */
const TEACHER_JOB_KEYS = Object.keys({
  generator: true,
  prompts: true,
  outFile: true,
  capture: true,
  sampling: true,
  maxBatch: true,
  flushEvery: true,
  onProgress: true,
  signal: true,
  warn: true,
  templateDate: true,
  chatTemplateKwargs: true,
} satisfies Record<keyof TeacherRepliesJobOptions, true>);

/** One line of the replies JSONL. */
export interface TeacherReplyRecord {
  /** The request id (`<problemId>#<attempt>`), which curation matches replies by. */
  id: string;
  problemId: string;
  /** The request's position in its prompt's `requests`. */
  sampleIndex: number;
  text: string;
  tokenIds: number[];
  finishReason: FinishReason;
  promptHash: string;
  /** Fingerprint of the request's id and its own sampling (see requestHash). */
  requestHash: string;
  /** Fingerprint of the prompt's messages (see messagesHash), which ssb-curate checks without a tokenizer. */
  messagesHash: string;
  modelId: string;
  /**
   * What wrote the reply: the teacher generator's identity (model files' fingerprint and the sampling it adds),
   * the same string a live createTeacherGenerator gives, so @ssb/curation pins either one in its run.json.
   */
  teacher: string;
  logitKey?: string;
}

/**
 * Fingerprint of a request's id and its own sampling settings and seed, in a fixed field order. Part of the
 * replies file's format: @ssb/curation computes the same value from its own request (a test checks both).
 */
function requestHash(id: string, s: TeacherSamplingInput): string {
  const fields = [id, s.temperature, s.topK, s.topP ?? null, s.maxNewTokens ?? null, s.seed ?? null];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex").slice(0, 16);
}

/**
 * Fingerprint of a prompt's messages as text ([role, content] pairs): unlike promptHash it needs no
 * tokenizer, so ssb-curate can tell a reply made for another prompt (teacher prompts rewritten since).
 */
function messagesHash(messages: readonly ChatMessage[]): string {
  const fields = messages.map((m) => [m.role, m.content]);
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex").slice(0, 16);
}

/**
 * The one temperature every request samples at (1 when there are none), for the logit store's
 * `captureTemperature`: the store records one per store, so requests at several temperatures are refused before
 * any file is made. Taking the first request's, as before, pinned the store to whichever came first, and a
 * resume with the prompts in another order was then refused by the store ("metadata mismatch").
 */
/** Where a prompt came from, for errors: its file and line when read from one, else its position. */
function placeOf(prompt: TeacherPromptLine, index: number): string {
  return prompt.where ?? `prompts[${index}]`;
}

function requestPlace(prompt: TeacherPromptLine, index: number, request: number): string {
  return prompt.where !== undefined
    ? `${prompt.where} requests[${request}]`
    : `prompts[${index}].requests[${request}]`;
}

function oneTemperature(prompts: readonly TeacherPromptLine[]): number {
  let first: { temperature: number; at: string } | undefined;
  for (const [i, p] of prompts.entries()) {
    for (const [j, r] of p.requests.entries()) {
      const at = `${requestPlace(p, i, j)} "${r.id}"`;
      const temperature = r.sampling.temperature;
      if (first === undefined) first = { temperature, at };
      else if (temperature !== first.temperature) {
        throw new RolloutError(
          `teacher prompts: requests sample at more than one temperature (${first.temperature} at ${first.at}, ${temperature} at ${at}), and a logit store records the one its replies were sampled at (captureTemperature; the logits themselves are raw, at temperature 1): capture each temperature's requests into a store of its own (split the teacher prompts), or run without --capture-logits (nothing was created)`,
        );
      }
    }
  }
  return first?.temperature ?? 1;
}

export async function runTeacherReplies(options: TeacherRepliesJobOptions): Promise<RolloutJobSummary> {
  // A misspelled key (`samplng`) would otherwise run with the defaults and pin them in the output's settings.
  refuseUnknownKeys(options, TEACHER_JOB_KEYS, "runTeacherReplies options");
  if (options.capture) refuseUnknownKeys(options.capture, CAPTURE_JOB_KEYS, "runTeacherReplies capture");
  const gen = options.generator;
  // Checked now (and recorded): what every request is sampled with beyond its own settings.
  const sampling = resolveSampling(
    { stopTokenIds: gen.defaultStopTokenIds(), ...dropUndefined(options.sampling ?? {}) },
    undefined,
    "teacher sampling",
  );
  const wantedCommon: Partial<SamplingParams> = {
    stopTokenIds: sampling.stopTokenIds,
    stopStrings: sampling.stopStrings,
    minP: sampling.minP,
    repetitionPenalty: sampling.repetitionPenalty,
    maxNewTokens: sampling.maxNewTokens,
  };
  const captureK = options.capture?.k ?? 20;
  const captureDtype = options.capture?.dtype ?? "float16";
  refuseRepeatedIds(
    options.prompts.map((p, i) => ({ id: p.problemId, at: placeOf(p, i) })),
    "teacher prompts: problem id",
  );
  refuseRepeatedIds(
    options.prompts.flatMap((p, i) => p.requests.map((r, j) => ({ id: r.id, at: requestPlace(p, i, j) }))),
    "teacher prompts: request id",
  );
  const captureTemperature = options.capture ? oneTemperature(options.prompts) : 1;
  const hashes = new Map<string, string>();
  const promptIds = new Map<string, number[]>();
  const messagesHashes = new Map<string, string>();
  // Prompts too long for the model's context get an empty reply and no logits (createTeacherGenerator).
  const tooLong = new Set<string>();
  const warn = options.warn ?? ((m: string) => console.warn(m));
  // The day the template writes into the prompts: the output's recorded one on a resume.
  const day = jobTemplateDate(options.outFile, options.templateDate, gen.templateReadsDate, warn);
  // The template kwargs, likewise: the output's recorded ones on a resume.
  const kwargs = jobChatTemplateKwargs(options.outFile, options.chatTemplateKwargs);
  for (const p of options.prompts) {
    const ids = gen.encodePrompt({
      id: p.problemId,
      messages: p.messages,
      ...(day.now !== undefined ? { now: day.now } : {}),
      ...(kwargs !== undefined ? { chatTemplateKwargs: kwargs } : {}),
    });
    hashes.set(p.problemId, promptFingerprint(ids));
    promptIds.set(p.problemId, ids);
    messagesHashes.set(p.problemId, messagesHash(p.messages));
    if (ids.length + 1 > gen.maxContext) tooLong.add(p.problemId);
  }
  const journal = openRolloutJournal(
    options.outFile,
    {
      job: "teacher-replies",
      modelId: gen.modelId,
      modelFingerprint: modelFingerprint(gen.session.file),
      executionProvider: gen.session.executionProvider,
      sampling: wantedCommon,
      capture: options.capture ? { k: captureK, dtype: captureDtype } : null,
      // Only when there is one: the settings of a job whose template does not read the date stay as they were.
      ...(day.templateDate !== undefined ? { templateDate: day.templateDate } : {}),
      // Likewise only when there are any: a job without kwargs writes the settings it always did.
      ...(kwargs !== undefined ? { chatTemplateKwargs: kwargs } : {}),
    },
    // Outputs written before the provider (or the template's day) was stored lack it; it is added on their
    // next run.
    {
      addedLater: ["executionProvider", "templateDate"],
      // Before the settings are updated: a refused resume must not pin today's date (or anything else) in them.
      checkStored: (stored) => {
        const hint = changedPromptHint(day);
        for (const p of options.prompts)
          refuseChangedPrompt(options.outFile, stored, p.problemId, hashes.get(p.problemId) as string, hint);
      },
      history: EXECUTION_PROVIDER_HISTORY,
      ...RESUME_EQUIVALENCE,
      ...(options.warn ? { warn: options.warn } : {}),
    },
  );
  noteOtherProblems(
    journal,
    options.prompts.map((p) => ({ id: p.problemId })),
    warn,
  );
  const { sampling: common, modelId } = resumedSettings(journal, wantedCommon, gen.modelId, warn);
  let writer: LogitStoreWriter | null = null;
  const tally = jobTally();
  // Stopped or refused before its first record: the output goes (journal.discardIfUnused), and so does a
  // logit store this call created and stored nothing in, so a rerun finds things as if this one never ran.
  let discard = false;
  try {
    const requests: TeacherGenerationRequest[] = [];
    const where = new Map<string, { problemId: string; sampleIndex: number }>();
    const samplingOf = new Map<string, TeacherSamplingInput>();
    const written0: string[] = [];
    for (const p of options.prompts) {
      p.requests.forEach((r, sampleIndex) => {
        tally.total++;
        where.set(r.id, { problemId: p.problemId, sampleIndex });
        samplingOf.set(r.id, r.sampling);
        if (journal.has(p.problemId, sampleIndex)) {
          tally.skipped++;
          if (!tooLong.has(p.problemId)) written0.push(r.id);
          const stored = journal.storedRequest(p.problemId, sampleIndex);
          if (stored && stored.hash !== requestHash(r.id, r.sampling)) {
            throw new RolloutError(
              `${journal.file}:${stored.line}: request "${r.id}" was sampled with other settings (temperature, top-k, top-p, max tokens or seed) than it asks for now; use a new --out for a different job`,
            );
          }
        } else {
          requests.push({
            id: r.id,
            messages: p.messages,
            promptIds: promptIds.get(p.problemId) as number[],
            sampling: r.sampling,
          });
        }
      });
    }
    if (options.capture) {
      await refuseMissingLogits(written0, options.capture.dir, options.outFile);
      writer = await openJobStore(gen, options.capture, captureTemperature, options.outFile, modelId);
    }
    const teacher = createTeacherGenerator({
      generator: gen,
      sampling: common,
      // Its prompts come encoded (promptIds); the kwargs end its identity, which every record carries, so a
      // replies file and a live adapter given the same kwargs name the same teacher.
      ...(kwargs !== undefined ? { chatTemplateKwargs: kwargs } : {}),
      ...(writer ? { logitWriter: writer } : {}),
      ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => options.onProgress?.(p, tally.skipped),
    });
    const sink = recordSink<TeacherReplyRecord>(journal, writer, options.flushEvery ?? 64);
    const interrupted = await drainInto(
      teacher.generate(requests, { captureLogits: writer !== null }),
      async (r) => {
        const at = where.get(r.id) as { problemId: string; sampleIndex: number };
        const record: TeacherReplyRecord = {
          id: r.id,
          problemId: at.problemId,
          sampleIndex: at.sampleIndex,
          text: r.text,
          tokenIds: r.tokenIds,
          finishReason: r.finishReason,
          promptHash: hashes.get(at.problemId) as string,
          requestHash: requestHash(r.id, samplingOf.get(r.id) as TeacherSamplingInput),
          messagesHash: messagesHashes.get(at.problemId) as string,
          modelId,
          teacher: teacher.identity,
        };
        if (r.logitKey !== undefined) record.logitKey = r.logitKey;
        tally.add(r.tokenIds.length);
        await sink.add(record);
      },
      sink,
      options.signal,
    );
    if (!interrupted) {
      const rank = new Map(options.prompts.map((p, i) => [p.problemId, i]));
      journal.sortLines((id) => rank.get(id));
    } else {
      journal.discardIfUnused(); // stopped before its first record: nothing to resume, no settings to pin
      discard = true;
    }
    return tally.summary(interrupted);
  } catch (e) {
    journal.discardIfUnused(); // refused before its first record: no files left to pin its settings
    discard = true;
    throw e;
  } finally {
    journal.close();
    // A store that held data before this call (a resume) is only closed.
    await (discard ? writer?.discardIfUnused() : writer?.close());
  }
}
