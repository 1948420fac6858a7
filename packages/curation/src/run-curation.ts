/**
 * The file-level curation run: problems + rollouts in; teacher-prompts.jsonl, dropped.jsonl, pairs.jsonl (when a
 * generator is given), summary.json and run.json out. Resumable by problem id: rerunning on the same output
 * directory skips finished problems and appends the rest, giving the same files as an uninterrupted run.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { claimOutputFolder, readJsonFile, writeFileAtomic } from "@ssb/durable-files";
import type { ExtractionRule } from "@ssb/verifier";
import {
  type CuratedProblem,
  checkSelectionConfig,
  curateProblem,
  type SelectionConfig,
  studentMessagesFor,
} from "./curate-problem.js";
import type { AnswerEquivalence, Grader } from "./grader.js";
import { appendToJournal, problemIdKey, readJournal } from "./jsonl-journal.js";
import { checkBoolean, checkInteger } from "./option-checks.js";
import {
  checkNoTeacherModeDowngrade,
  checkRecordsHaveRunFile,
  RUN_FORMAT,
  readRunSettings,
} from "./output-folder.js";
import type { DropRecord, PairRecord, TeacherPromptRecord } from "./pair-record.js";
import { describe, parseRollout, problemRecord } from "./parse-records.js";
import { hashString } from "./prng.js";
import type { Problem, Rollout } from "./records.js";
import { checkRolloutPrompts } from "./rollout-prompt-check.js";
import { checkRunInput } from "./run-input-checks.js";
import { type CurationSummary, summarize } from "./summary.js";
import type { TeacherGenerator } from "./teacher-generator.js";
import { DEFAULT_TEMPLATE, MATH_TUTOR_SYSTEM_PROMPT } from "./teacher-prompt.js";
import { DEFAULT_TEACHER_SAMPLING, runTeacherStep, type TeacherTask } from "./teacher-step.js";
import {
  checkAnswerRules,
  DEFAULT_ANSWER_RULES,
  isDefaultAnswerRules,
  makeVerifierGrader,
  verifierEquivalence,
  verifierGrader,
} from "./verifier-defaults.js";
import { checkVerifierVersion, installedVerifierVersion, verifierVersionNote } from "./verifier-version.js";

export interface CurationConfig extends Omit<SelectionConfig, "grader" | "equivalence"> {
  /** Default: @ssb/verifier's grade(), reading the `answerRules`. */
  grader?: Grader;
  /**
   * The extraction rules of the default grader (@ssb/verifier's names, in order of precedence; default
   * `["boxed"]`): e.g. `["boxed", "answer-tag"]` for R1-Zero's `<answer>...</answer>` replies, `["gsm8k"]` for
   * GSM8K's `#### 72`. Pinned in run.json when not the default. Not with a custom `grader`.
   */
  answerRules?: readonly ExtractionRule[];
  /**
   * A name for a custom `grader` (and its version), pinned in run.json as `custom:<graderId>`: a function
   * cannot be compared, so without one a resume with another grader goes unnoticed (recorded as "custom").
   */
  graderId?: string;
  /** Default: @ssb/verifier's isEquivalent(). */
  equivalence?: AnswerEquivalence;
  /** As graderId, for a custom `equivalence`. */
  equivalenceId?: string;
  /** Reject teacher replies that mention "student" (default false, as the reference). */
  rejectStudentMention?: boolean;
  /** Reject truncated teacher replies (default true). */
  rejectTruncated?: boolean;
  /** Ask the generator to capture logits (default true). */
  captureLogits?: boolean;
  /** Problems per teacher generator call (default 16). */
  batchSize?: number;
}

export interface CurationProgress {
  /** Problems finished, including those skipped because an earlier run finished them. */
  done: number;
  total: number;
  /** Skipped on resume. */
  skipped: number;
  kept: number;
  dropped: number;
}

export interface RunCurationInput {
  problems: readonly Problem[];
  rollouts: readonly Rollout[];
  outDir: string;
  config?: CurationConfig;
  /** Without one, only selection runs and teacher-prompts.jsonl is the product. */
  generator?: TeacherGenerator;
  onProgress?: (progress: CurationProgress) => void;
  /**
   * Stops the run at the next batch boundary (give the same signal to a generator that takes one, e.g.
   * rollout's createTeacherGenerator, to stop its batch too): runCuration rejects with the signal's reason,
   * every finished problem is in the journals, and a rerun with the same inputs continues from there.
   */
  signal?: AbortSignal;
  /**
   * Told what a resume should know but that does not stop it: the folder holds problems decided by another
   * @ssb/verifier version than this one (default: process.emitWarning).
   */
  warn?: (message: string) => void;
}

export interface CurationOutputFiles {
  prompts: string;
  dropped: string;
  pairs: string;
  summary: string;
  run: string;
}

export interface CurationRunResult {
  summary: CurationSummary;
  files: CurationOutputFiles;
  /** Problems skipped because an earlier run had finished them. */
  skipped: number;
  /** Bytes of partial last lines removed on resume (a sign the previous run was killed mid-write). */
  truncatedBytes: number;
  /** Rollouts whose problemId is not among the problems (ignored). */
  unmatchedRollouts: number;
  /** The problemIds of those rollouts, each once, the first few (up to 5) in file order: what to look for. */
  unmatchedProblemIds: string[];
}

export function outputFiles(outDir: string): CurationOutputFiles {
  return {
    prompts: join(outDir, "teacher-prompts.jsonl"),
    dropped: join(outDir, "dropped.jsonl"),
    pairs: join(outDir, "pairs.jsonl"),
    summary: join(outDir, "summary.json"),
    run: join(outDir, "run.json"),
  };
}

/** How run.json names a replaceable function: the verifier's, or a custom one by the name it was given. */
function customName(custom: unknown, id: string | undefined, field: string): string {
  if (id !== undefined && (typeof id !== "string" || id.trim() === ""))
    throw new Error(`config.${field}: expected a non-empty string naming the custom function`);
  if (custom === undefined) {
    if (id !== undefined)
      throw new Error(`config.${field} is given but no custom function is: set both or neither`);
    return "@ssb/verifier";
  }
  return id === undefined ? "custom" : `custom:${id}`;
}

/**
 * run.json's name for the grader: the verifier's, with its answer rules when they are not the default (so a
 * default run's run.json, and one written before rules could be chosen, read as before), or a custom one's.
 */
function graderName(config: CurationConfig): string {
  const name = customName(config.grader, config.graderId, "graderId");
  const rules = config.answerRules;
  return rules === undefined || isDefaultAnswerRules(rules) ? name : `${name} rules ${rules.join(",")}`;
}

/** The settings that decide the outputs; a resume with different ones would silently mix two runs. */
function runSettings(config: CurationConfig): Record<string, unknown> {
  const template = config.template ?? DEFAULT_TEMPLATE;
  return {
    seed: config.seed ?? 0,
    template: template.name,
    templateHash: hashString(`${template.system}\u0000${template.user}`),
    // null (no system turn) hashes apart from every text, the empty one included.
    studentSystemPromptHash:
      config.studentSystemPrompt === null
        ? "none"
        : hashString(config.studentSystemPrompt ?? MATH_TUTOR_SYSTEM_PROMPT),
    grader: graderName(config),
    equivalence: customName(config.equivalence, config.equivalenceId, "equivalenceId"),
    truncatedIsNoAnswer: config.truncatedIsNoAnswer ?? true,
    correctChoice: config.correctChoice ?? "first",
    wrongChoice: config.wrongChoice ?? "first",
    tieBreak: config.tieBreak ?? "seeded",
    requireMajorityCountAboveOne: config.requireMajorityCountAboveOne ?? false,
    whenNoMajority: config.whenNoMajority ?? "random",
    minCorrect: config.minCorrect ?? 1,
    minWrong: config.minWrong ?? 1,
    teacherSampling: fullTeacherSampling(config.teacherSampling),
    maxAttempts: config.maxAttempts ?? 1,
    rejectStudentMention: config.rejectStudentMention ?? false,
    rejectTruncated: config.rejectTruncated ?? true,
  };
}

/**
 * The teacher's sampling with its defaults filled in and keys sorted, so `--temperature 0.4` (the default)
 * and no flag are the same setting.
 */
function fullTeacherSampling(sampling: unknown): Record<string, unknown> {
  const given = typeof sampling === "object" && sampling !== null ? sampling : {};
  const full: Record<string, unknown> = { ...DEFAULT_TEACHER_SAMPLING, ...given };
  return Object.fromEntries(
    Object.keys(full)
      .filter((k) => full[k] !== undefined)
      .sort()
      .map((k) => [k, full[k]]),
  );
}

/**
 * For a resume refused over the verifier's answer rules (both graders the verifier's, `graderName`'s form), the
 * rules run.json's grader reads, as the flag and option to give: the refusal alone named only the two graders.
 * "" when either grader is a custom one (no rules to give).
 */
function rulesToResumeWith(before: string, now: string): string {
  const verifier = /^"@ssb\/verifier(?: rules ([^"]+))?"$/;
  const match = verifier.exec(before);
  if (match === null || !verifier.test(now)) return "";
  const rules = match[1] === undefined ? [...DEFAULT_ANSWER_RULES] : match[1].split(",");
  return `; resume with --answer-rules ${rules.join(",")} (answerRules ${JSON.stringify(rules)} in code; run.json's grader), or use another --out`;
}

/**
 * Compares this run's settings with the folder's run.json, or writes it for a new run. `teacherSettings` (given
 * in teacher mode) are pinned by the first teacher-mode run: a selection-only run before it had no teacher, so
 * its run.json lacks them and gets them added.
 */
function checkOrWriteRunFile(
  path: string,
  settings: Record<string, unknown>,
  teacherSettings: Record<string, unknown>,
  verifierVersion: string | undefined,
): void {
  const differs = (key: string, before: string, now: string): Error =>
    new Error(
      `${path}: this output directory holds a run with ${key}=${before}, but this run has ${key}=${now}; ` +
        "use another output directory (or delete this one) instead of mixing two runs" +
        (key === "grader" ? rulesToResumeWith(before, now) : ""),
    );
  if (existsSync(path)) {
    let previous = readRunSettings(path);
    // Written before defaults were filled in: read the same way.
    if ("teacherSampling" in previous)
      previous = { ...previous, teacherSampling: fullTeacherSampling(previous.teacherSampling) };
    for (const key of Object.keys(settings)) {
      const before = JSON.stringify(previous[key]);
      const now = JSON.stringify(settings[key]);
      if (before !== now) throw differs(key, before, now);
    }
    const missing: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(teacherSettings)) {
      if (!(key in previous)) missing[key] = value;
      else if (JSON.stringify(previous[key]) !== JSON.stringify(value))
        throw differs(key, JSON.stringify(previous[key]), JSON.stringify(value));
    }
    if (Object.keys(missing).length > 0) {
      const file = readJsonFile(path) as Record<string, unknown>;
      const all = { ...(file.settings as Record<string, unknown>), ...missing };
      writeFileAtomic(path, `${JSON.stringify({ ...file, settings: all }, null, 2)}\n`);
    }
    return;
  }
  // The verifier's version is a record, not a setting: a resume under another one is told, not refused.
  const version = verifierVersion === undefined ? {} : { verifierVersion };
  writeFileAtomic(
    path,
    `${JSON.stringify({ format: RUN_FORMAT, ...version, settings: { ...settings, ...teacherSettings } }, null, 2)}\n`,
  );
}

/**
 * On a resume: tells `warn` how many of the folder's `decided` problems another @ssb/verifier version than
 * this one decided (they keep those decisions), and records this version in run.json as the one deciding
 * from now on, with the earlier versions' counts. A run.json without a version is left as it is.
 */
function noteVerifierVersion(
  path: string,
  outDir: string,
  decided: number,
  warn: (message: string) => void,
): void {
  const file = readJsonFile(path) as Record<string, unknown>;
  const installed = installedVerifierVersion();
  const { others, next } = checkVerifierVersion(
    file.verifierVersion,
    file.decidedByVerifierVersion,
    installed,
    decided,
  );
  if (installed !== undefined && Object.keys(others).length > 0)
    warn(verifierVersionNote(outDir, others, installed));
  if (next !== null) {
    const { decidedByVerifierVersion: _, ...rest } = file;
    writeFileAtomic(path, `${JSON.stringify({ ...rest, ...next }, null, 2)}\n`);
  }
}

/** Fingerprint of what a problem's curation depends on: its question, gold answer and rollouts. */
function inputsFingerprint(problem: Problem, rollouts: readonly Rollout[]): string {
  const shown = [...rollouts]
    .sort((a, b) => a.sampleIndex - b.sampleIndex)
    .map((r) => [r.sampleIndex, r.text, r.finishReason ?? null]);
  return createHash("sha256")
    .update(JSON.stringify([problem.question, problem.answer, shown]))
    .digest("hex")
    .slice(0, 16);
}

/** How many stray rollouts' problemIds a run reports (enough to find them, not a copy of a wrong file). */
const MAX_UNMATCHED_IDS = 5;

function groupRollouts(problems: readonly Problem[], rollouts: readonly Rollout[]) {
  const byProblem = new Map<string, Rollout[]>();
  for (const p of problems) {
    if (byProblem.has(p.id))
      throw new Error(`problem id ${JSON.stringify(p.id)} appears twice in the problems`);
    byProblem.set(p.id, []);
  }
  let unmatched = 0;
  const unmatchedIds = new Set<string>();
  const seen = new Set<string>();
  // SSB pairs a model's own right and wrong answers: rollouts of two models in one file would mix them.
  const models = new Map<string, string>();
  for (const r of rollouts) {
    if (r.modelId !== undefined && !models.has(r.modelId)) models.set(r.modelId, r.problemId);
    if (models.size > 1) {
      const [a, b] = [...models.entries()];
      throw new Error(
        `rollouts come from more than one model: "${a?.[0]}" (problem ${JSON.stringify(a?.[1])}) and "${b?.[0]}" (problem ${JSON.stringify(b?.[1])}); curate each model's rollouts apart`,
      );
    }
  }
  for (const r of rollouts) {
    const list = byProblem.get(r.problemId);
    if (!list) {
      unmatched++;
      if (unmatchedIds.size < MAX_UNMATCHED_IDS) unmatchedIds.add(r.problemId);
      continue;
    }
    const key = `${r.problemId}\u0000${r.sampleIndex}`;
    if (seen.has(key)) {
      throw new Error(
        `rollouts hold sampleIndex ${r.sampleIndex} twice for problem ${JSON.stringify(r.problemId)}`,
      );
    }
    seen.add(key);
    list.push(r);
  }
  return { byProblem, unmatched, unmatchedIds: [...unmatchedIds] };
}

export async function runCuration(given: RunCurationInput): Promise<CurationRunResult> {
  checkRunInput(given);
  const config = given.config ?? {};
  let input = given;
  input.signal?.throwIfAborted();
  // Records, not a path: `problems: "problems.jsonl"` failed inside with "input.problems.map is not a function".
  for (const [field, reader] of [
    ["problems", "readProblemsFile"],
    ["rollouts", "readRolloutsFile"],
  ] as const) {
    if (!Array.isArray(input[field]))
      throw new TypeError(
        `runCuration: ${field} must be an array of records (${reader}(path) reads a file into one), found ${describe(input[field])}`,
      );
  }
  // Records built in code are read as the file readers read them, naming the index, before the folder is made:
  // an integer id given as a number made records whose problemId no resume could read back, and a number gold
  // or a missing sampleIndex stopped the run at its problem, after run.json and the journals were made.
  input = {
    ...given,
    problems: given.problems.map((p, i) => problemRecord(p, `runCuration: problems[${i}]`)),
    rollouts: given.rollouts.map((r, i) => parseRollout(r, `runCuration: rollouts[${i}]`)),
  };
  // Settings are checked before the output folder is touched, so a typo never claims or changes it.
  checkSelectionConfig(config, "runCuration");
  checkBoolean(config.rejectStudentMention, "runCuration", "rejectStudentMention");
  checkBoolean(config.rejectTruncated, "runCuration", "rejectTruncated");
  checkBoolean(config.captureLogits, "runCuration", "captureLogits");
  checkInteger(config.batchSize, 1, "runCuration", "batchSize");
  if (config.answerRules !== undefined) {
    checkAnswerRules(config.answerRules, 'runCuration: option "answerRules"');
    if (config.grader !== undefined)
      throw new TypeError(
        'runCuration: options "answerRules" and "grader" are both given; answerRules chooses the rules of the default grader (@ssb/verifier\'s): give a custom grader its own rules instead (makeVerifierGrader({ rules }))',
      );
  }
  const files = outputFiles(input.outDir);
  // Inputs are checked before the output folder is made or claimed, so a bad input never claims one.
  const { byProblem, unmatched, unmatchedIds } = groupRollouts(input.problems, input.rollouts);
  // Rollouts of another file (ids "gsm8k-12" against line numbers): every problem would be dropped as
  // no-rollouts and the run would still finish as a success.
  if (input.rollouts.length > 0 && unmatched === input.rollouts.length && input.problems.length > 0) {
    throw new Error(
      `runCuration: none of the ${input.rollouts.length} rollouts belongs to one of the ${input.problems.length} problems (the first rollout's problemId is ${JSON.stringify(input.rollouts[0]?.problemId)}, the first problem's id ${JSON.stringify(input.problems[0]?.id)}); curate the rollouts with the problems file they were sampled from`,
    );
  }
  // Every problem's rollouts against its student messages, before the folder is claimed: a mismatch found at
  // problem 500 would otherwise stop a run that has already written 499.
  for (const problem of input.problems) {
    checkRolloutPrompts(
      problem,
      byProblem.get(problem.id) ?? [],
      studentMessagesFor(problem, config),
      "runCuration",
    );
  }
  // One run per output folder (in this process or another): two appending to the same journals would write
  // problems twice.
  const release = claimOutputFolder(input.outDir, { lockName: "curation.lock", holder: "curation run" });
  try {
    return {
      ...(await curateLocked(input, config, files, byProblem, unmatched)),
      unmatchedProblemIds: unmatchedIds,
    };
  } finally {
    release();
  }
}

async function curateLocked(
  input: RunCurationInput,
  config: CurationConfig,
  files: ReturnType<typeof outputFiles>,
  byProblem: Map<string, Rollout[]>,
  unmatched: number,
): Promise<Omit<CurationRunResult, "unmatchedProblemIds">> {
  // All three checks come before anything is written, so a refused run leaves the folder as it was.
  checkRecordsHaveRunFile(input.outDir, files);
  checkNoTeacherModeDowngrade(input.outDir, files, input.generator !== undefined);
  // Whether logits are captured decides every pair's logitKey: pairs with and without logits in one file
  // would fail distillation only at the pairs without. Another teacher would mix two models' pairs.
  const teacherSettings: Record<string, unknown> = input.generator
    ? { captureLogits: config.captureLogits ?? true }
    : {};
  if (input.generator?.identity !== undefined) teacherSettings.teacher = input.generator.identity;
  const resumed = existsSync(files.run);
  // The journals are read, and their records checked against these inputs, before run.json is written or a
  // journal is opened for appending: a refused resume (inputs changed, a bad line) must not pin this run's
  // teacher in run.json or make pairs.jsonl, which would refuse the next selection-only run in the folder.
  const generator = input.generator;
  const read = {
    prompts: readJournal<TeacherPromptRecord>(files.prompts, problemIdKey),
    drops: readJournal<DropRecord>(files.dropped, problemIdKey),
    pairs: generator ? readJournal<PairRecord>(files.pairs, problemIdKey) : null,
  };
  // What each problem's curation depends on; a problem already curated from other inputs is refused.
  const inputHashes = new Map(
    input.problems.map((p) => [p.id, inputsFingerprint(p, byProblem.get(p.id) ?? [])]),
  );
  for (const journal of [read.prompts, read.drops]) {
    for (const record of journal.existing as readonly { problemId: string; inputHash?: string }[]) {
      const now = inputHashes.get(record.problemId);
      if (record.inputHash === undefined || now === undefined || record.inputHash === now) continue;
      throw new Error(
        `${journal.path}: problem ${JSON.stringify(record.problemId)} was curated from other inputs than these (its question, gold answer or rollouts changed, e.g. rollouts of a larger n); use another output directory instead of mixing two runs`,
      );
    }
  }
  // The verifier's version is recorded when it grades or groups answers (not for custom functions only).
  const usesVerifier = config.grader === undefined || config.equivalence === undefined;
  checkOrWriteRunFile(
    files.run,
    runSettings(config),
    teacherSettings,
    usesVerifier ? installedVerifierVersion() : undefined,
  );

  const selectionConfig: SelectionConfig = {
    ...config,
    grader:
      config.grader ??
      (config.answerRules === undefined ? verifierGrader : makeVerifierGrader({ rules: config.answerRules })),
    equivalence: config.equivalence ?? verifierEquivalence,
  };
  const prompts = appendToJournal(read.prompts);
  const drops = appendToJournal(read.drops);
  const pairs = read.pairs ? appendToJournal(read.pairs) : null;
  const newPrompts: TeacherPromptRecord[] = [];
  const newDrops: DropRecord[] = [];
  const newPairs: PairRecord[] = [];
  const isDone = (id: string): boolean =>
    drops.keys.has(id) || (pairs ? pairs.keys.has(id) : prompts.keys.has(id));

  try {
    // After every refusal, so a refused resume leaves run.json as it was. A pair's problem has its prompt too.
    if (resumed) {
      const decided = new Set([...prompts.keys, ...drops.keys, ...(pairs?.keys ?? [])]).size;
      noteVerifierVersion(
        files.run,
        input.outDir,
        decided,
        input.warn ?? ((m: string) => process.emitWarning(m)),
      );
    }
    const todo = input.problems.filter((p) => !isDone(p.id));
    const skipped = input.problems.length - todo.length;
    let kept = 0;
    let dropped = 0;
    const report = (done: number): void =>
      input.onProgress?.({ done: skipped + done, total: input.problems.length, skipped, kept, dropped });
    report(0);
    const batchSize = config.batchSize ?? 16;
    for (let start = 0; start < todo.length; start += batchSize) {
      input.signal?.throwIfAborted();
      const batch = todo.slice(start, start + batchSize);
      const curated: { problem: Problem; result: CuratedProblem }[] = batch.map((problem) => ({
        problem,
        result: curateProblem(problem, byProblem.get(problem.id) ?? [], selectionConfig),
      }));
      const tasks: TeacherTask[] = [];
      for (const { problem, result } of curated) {
        if (!("prompt" in result)) continue;
        // Written before the teacher runs so the prompts exist even if the teacher step dies.
        if (!prompts.keys.has(problem.id)) {
          prompts.append(problem.id, { ...result.prompt, inputHash: inputHashes.get(problem.id) as string });
          newPrompts.push(result.prompt);
        }
        tasks.push({ problemId: problem.id, messages: result.prompt.messages, gold: problem.answer });
      }
      // Prompts are on disk; a stop asked for during selection need not wait for the teacher.
      input.signal?.throwIfAborted();
      const outcomes =
        generator && tasks.length > 0
          ? await runTeacherStep(tasks, generator, {
              grader: selectionConfig.grader,
              seed: config.seed ?? 0,
              sampling: config.teacherSampling ?? {},
              maxAttempts: config.maxAttempts ?? 1,
              rejectStudentMention: config.rejectStudentMention ?? false,
              rejectTruncated: config.rejectTruncated ?? true,
              captureLogits: config.captureLogits ?? true,
            })
          : null;
      if (outcomes && generator?.commit) await generator.commit();
      // Records are written in problem order, so the files do not depend on generator completion order.
      for (const { problem, result } of curated) {
        if (!("prompt" in result)) {
          const s = result.selection;
          const record: DropRecord = {
            problemId: problem.id,
            stage: "selection",
            reason: s.reason,
            detail: s.detail,
            rolloutCounts: s.counts,
            inputHash: inputHashes.get(problem.id) as string,
          };
          drops.append(problem.id, record);
          newDrops.push(record);
          dropped++;
          continue;
        }
        if (!pairs || !outcomes) continue;
        const outcome = outcomes.get(problem.id);
        if (!outcome) throw new Error(`internal: no teacher outcome for problem ${problem.id}`);
        const prompt = result.prompt;
        if (outcome.kind === "rejected") {
          const last = outcome.attempts[outcome.attempts.length - 1];
          const record: DropRecord = {
            problemId: problem.id,
            stage: "teacher",
            reason: outcome.reason,
            detail: `teacher reply rejected after ${outcome.attempts.length} tries (last answer ${JSON.stringify(last?.extracted ?? null)}, gold ${JSON.stringify(problem.answer)})`,
            rolloutCounts: prompt.rolloutCounts,
            chosenWrong: prompt.chosenWrong,
            attempts: outcome.attempts,
            inputHash: inputHashes.get(problem.id) as string,
          };
          drops.append(problem.id, record);
          newDrops.push(record);
          dropped++;
          continue;
        }
        const pair: PairRecord = {
          problemId: problem.id,
          gold: problem.answer,
          template: prompt.template,
          studentMessages: prompt.studentMessages,
          teacherMessages: prompt.messages,
          response: outcome.result.text,
          responseTokenIds: outcome.result.tokenIds,
          finishReason: outcome.result.finishReason,
          teacherAnswer: outcome.extracted,
          teacherAnswerCorrect: true,
          teacherAttempt: outcome.attempt,
          teacherSampling: outcome.sampling,
          chosenCorrect: prompt.chosenCorrect,
          chosenWrong: prompt.chosenWrong,
          rolloutCounts: prompt.rolloutCounts,
          logitKey: outcome.result.logitKey ?? null,
        };
        pairs.append(problem.id, pair);
        newPairs.push(pair);
        kept++;
      }
      if (!generator) kept += curated.filter((c) => "prompt" in c.result).length;
      report(Math.min(start + batchSize, todo.length));
      // Selection, and a generator that answers from memory, never wait on I/O: without this turn of the event
      // loop a Ctrl-C handler (ssb-curate's) could not run until the whole loop had finished.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }

    const summary = summarize({
      mode: generator ? "teacher" : "selection",
      prompts: [...prompts.existing, ...newPrompts],
      drops: [...drops.existing, ...newDrops],
      pairs: pairs ? [...pairs.existing, ...newPairs] : [],
    });
    // A finished folder's rerun writes nothing: the same summary is not written again (a replaced file is a
    // change to whatever watches the folder, a make rule or a sync).
    const summaryText = `${JSON.stringify({ ...summary, unmatchedRollouts: unmatched }, null, 2)}\n`;
    if (!existsSync(files.summary) || readFileSync(files.summary, "utf8") !== summaryText)
      writeFileAtomic(files.summary, summaryText);
    return {
      summary,
      files,
      skipped,
      truncatedBytes: prompts.truncatedBytes + drops.truncatedBytes + (pairs?.truncatedBytes ?? 0),
      unmatchedRollouts: unmatched,
    };
  } finally {
    prompts.close();
    drops.close();
    pairs?.close();
  }
}
