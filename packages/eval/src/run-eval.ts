/**
 * The runner: benchmarks → prompts → generator → verifier → records.jsonl → summary and reports.
 *
 * Resumable: run.json pins everything that decides a sample's text (model, benchmarks and problem selection,
 * prompts, sampling, seed, n, grading); a rerun into the same folder with the same settings reads the records
 * already there and asks the generator only for the missing (problem, sample index) pairs. Different settings are
 * refused with the field that differs, because mixing samples of two configurations would make every number wrong
 * (run-manifest.ts).
 */

import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { closestKey } from "@ssb/cli-kit";
import { claimOutputFolder, writeFileAtomic } from "@ssb/durable-files";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  isTemplateDate,
} from "@ssb/model";
import { type GradeOptions, grade } from "@ssb/verifier";
import { type BenchmarkSpec, BUILTIN_BENCHMARKS, parseBenchmarkSpec } from "./benchmarks.js";
import type { GeneratedSample, GenerationPrompt, SampleGenerator } from "./generator.js";
import { type LoadedBenchmark, loadBenchmark } from "./load-benchmark.js";
import { hashString } from "./prng.js";
import { buildMessages, isUserTemplate } from "./prompt.js";
import {
  openRecordsAppender,
  type ReadRecordsResult,
  readRecords,
  writeRecordsAtomic,
} from "./records-file.js";
import {
  buildManifest,
  checkRunManifest,
  type ModelIdentity,
  nextExecutionProviders,
  type RunManifest,
  UNRECORDED_PROVIDER,
} from "./run-manifest.js";
import { isSamplingField, REQUIRED_SAMPLING_FIELDS, SAMPLING_RULES } from "./sampling-rules.js";
import { type RunSummary, summarizeRecords } from "./summarize.js";
import { runTemplateDate } from "./template-date.js";
import type { Problem, SampleRecord, SamplingParams } from "./types.js";
import { writeReports } from "./write-reports.js";

export interface EvalConfig {
  /** Built-in names (`gsm8k`, `math500`, `aime24`) or specs of other JSONL files. */
  benchmarks: readonly (string | BenchmarkSpec)[];
  /** Samples per problem. */
  n: number;
  sampling: SamplingParams;
  seed: number;
  /** `null`: no system turn. Default: the paper's math-tutor prompt. */
  systemPrompt?: string | null;
  /** Default `{{question}}`. */
  userTemplate?: string;
  /** First `limit` problems of each benchmark. */
  limit?: number;
  /** Only these problem ids, per benchmark name. */
  problemIds?: Readonly<Record<string, readonly string[]>>;
  /** Verifier options for grading. */
  grade?: GradeOptions;
  /**
   * Prompts handed to one generate() call (each with its missing samples). Larger lets a continuous-batching
   * engine keep its slots full; results do not depend on it. Default 32.
   */
  promptsPerCall?: number;
  /** Bootstrap for the summary. Defaults: 2,000 resamples, seed 0. */
  bootstrap?: { resamples?: number; seed?: number };
  /** Display name of the run in reports. Default: the model id. */
  name?: string;
  /**
   * The day ("YYYY-MM-DD") a chat template that reads the date (Llama 3.1 / 3.2-Instruct) writes into the
   * prompts. Default: the day run.json records, else today (local), recorded at the run's first start, so a
   * run resumed on another day renders the same prompts. Another day than the recorded one is refused.
   * Recorded too for other templates, where it changes nothing.
   */
  templateDate?: string;
  /**
   * Extra variables every prompt's chat template is rendered with (transformers' `apply_chat_template(...,
   * **kwargs)`, vLLM's `chat_template_kwargs`), e.g. Qwen3's `{ enable_thinking: false }`. Recorded in
   * run.json when non-empty; a resume without them uses the recorded ones, a resume with other ones is refused.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

export interface RunProgress {
  done: number;
  total: number;
  /** Samples found in records.jsonl at start (skipped). */
  resumed: number;
}

export interface RunEvalInput {
  config: EvalConfig;
  generator: SampleGenerator;
  outDir: string;
  onProgress?: (progress: RunProgress) => void;
  /** Where warnings go (default: process.emitWarning). */
  warn?: (message: string) => void;
  /** Folder that relative benchmark files resolve against (default: the package's data). */
  dataDir?: string;
  /** Write summary.json, report.md and report.html at the end. Default true. */
  reports?: boolean;
  /**
   * Stops the run after the sample in hand is saved: runEval rejects with the signal's reason, every sample
   * generated so far is in records.jsonl, and a rerun with the same settings continues from there.
   */
  signal?: AbortSignal;
}

export interface RunEvalResult {
  outDir: string;
  records: SampleRecord[];
  summary: RunSummary;
  generated: number;
  resumed: number;
  /** A torn last line (an interrupted append) was found and dropped. */
  repairedTail: boolean;
}

export interface OutputFiles {
  run: string;
  records: string;
  summary: string;
  markdown: string;
  html: string;
}

export function outputFiles(outDir: string): OutputFiles {
  return {
    run: join(outDir, "run.json"),
    records: join(outDir, "records.jsonl"),
    summary: join(outDir, "summary.json"),
    markdown: join(outDir, "report.md"),
    html: join(outDir, "report.html"),
  };
}

/** Makes `outDir` if needed and takes its lock (eval.lock) for one run; ssb-eval holds it over a model export too. */
export function claimEvalFolder(outDir: string): () => void {
  return claimOutputFolder(outDir, { lockName: "eval.lock", holder: "ssb-eval run" });
}

/** Per-benchmark generation seed: sample i of problem p gets its own seed from (this, p, i) in the generator. */
export function benchmarkSeed(seed: number, benchmark: string): number {
  return hashString(`${seed}\u0000${benchmark}`) & 0x7fffffff;
}

const CONFIG_FIELDS = new Set([
  "benchmarks",
  "n",
  "sampling",
  "seed",
  "systemPrompt",
  "userTemplate",
  "limit",
  "problemIds",
  "grade",
  "promptsPerCall",
  "bootstrap",
  "name",
  "templateDate",
  "chatTemplateKwargs",
]);

/**
 * Check a run's settings before anything is written, so a bad value never locks a run folder to it. Unknown
 * fields are errors: a misspelled or snake_case setting (`top_p`) would otherwise be stored and ignored.
 */
export function validateEvalConfig(config: EvalConfig, where = "config"): void {
  const fail = (field: string, expected: string, value: unknown): never => {
    throw new Error(`${where}.${field} must be ${expected}, found ${JSON.stringify(value)}`);
  };
  // The field a misspelled one most likely meant (`top_p` for topP, `nn` for n): only "unknown" left the user to
  // look up the spelling.
  const unknown = (key: string, known: readonly string[], prefix: string): Error => {
    const near = closestKey(key, known);
    return new Error(
      `${where}: unknown field "${prefix}${key}"${near === undefined ? "" : ` (did you mean "${prefix}${near}"?)`}`,
    );
  };
  for (const key of Object.keys(config))
    if (!CONFIG_FIELDS.has(key)) throw unknown(key, [...CONFIG_FIELDS], "");
  if (!Number.isInteger(config.n) || config.n < 1) fail("n", "a positive integer", config.n);
  if (!Array.isArray(config.benchmarks) || config.benchmarks.length === 0)
    fail("benchmarks", "a non-empty list", config.benchmarks);
  // A name must be a built-in: "math50" in a config file was refused later without the file or the field.
  const builtins = Object.keys(BUILTIN_BENCHMARKS);
  for (const [i, b] of config.benchmarks.entries()) {
    // A spec written into a config file: `{ "name": "x" }` or a bare 5 failed later with Node's 'The "path"
    // argument must be of type string'.
    if (typeof b !== "string") parseBenchmarkSpec(b, `${where}.benchmarks[${i}]`);
    if (typeof b === "string" && config.benchmarks.indexOf(b) !== i)
      throw new Error(`${where}.benchmarks[${i}]: ${JSON.stringify(b)} is listed twice`);
    if (typeof b !== "string" || Object.hasOwn(BUILTIN_BENCHMARKS, b)) continue;
    const near = closestKey(b, builtins);
    throw new Error(
      `${where}.benchmarks[${i}]: unknown benchmark ${JSON.stringify(b)}${near === undefined ? "" : ` (did you mean "${near}"?)`}; built-in: ${builtins.join(", ")}, and another JSONL file needs a benchmark spec`,
    );
  }
  const s = config.sampling;
  if (typeof s !== "object" || s === null) fail("sampling", "an object", s);
  for (const key of Object.keys(s))
    if (!isSamplingField(key)) throw unknown(key, Object.keys(SAMPLING_RULES), "sampling.");
  for (const [field, rule] of Object.entries(SAMPLING_RULES)) {
    const value = s[field as keyof SamplingParams];
    const optional = !REQUIRED_SAMPLING_FIELDS.has(field as keyof SamplingParams);
    if (!(optional && value === undefined) && !rule.ok(value))
      fail(`sampling.${field}`, rule.expected, value);
  }
  if (!(Number.isSafeInteger(config.seed) && config.seed >= 0)) fail("seed", "an integer >= 0", config.seed);
  // A number here was sent to the tokenizer as the system turn; a name of 5 failed the reports after every
  // sample was generated ("text.replace is not a function").
  if (
    config.systemPrompt !== undefined &&
    config.systemPrompt !== null &&
    typeof config.systemPrompt !== "string"
  )
    fail("systemPrompt", "a string, or null for no system turn", config.systemPrompt);
  if (config.name !== undefined && (typeof config.name !== "string" || config.name.trim() === ""))
    fail("name", "a non-empty string", config.name);
  if (config.templateDate !== undefined && !isTemplateDate(config.templateDate))
    fail("templateDate", "a date as YYYY-MM-DD (e.g. 2024-07-26)", config.templateDate);
  if (config.chatTemplateKwargs !== undefined)
    checkChatTemplateKwargs(config.chatTemplateKwargs, `${where}.chatTemplateKwargs`);
  // Checked here, not first when a prompt is built: by then run.json pins the bad template and the corrected
  // rerun is refused as "different settings".
  if (config.userTemplate !== undefined && !isUserTemplate(config.userTemplate))
    fail("userTemplate", "a string containing {{question}}", config.userTemplate);
  if (config.limit !== undefined && !(Number.isInteger(config.limit) && config.limit >= 1))
    fail("limit", "a positive integer", config.limit);
  if (
    config.promptsPerCall !== undefined &&
    !(Number.isInteger(config.promptsPerCall) && config.promptsPerCall >= 1)
  )
    fail("promptsPerCall", "a positive integer", config.promptsPerCall);
  // Checked here like the rest, not first at the end of the run: `resamples: 0` failed the summary after every
  // sample was generated, and `level` or a misspelled `resampels` was ignored without a word.
  const boot: unknown = config.bootstrap;
  if (boot !== undefined) {
    if (typeof boot !== "object" || boot === null || Array.isArray(boot))
      fail("bootstrap", "an object { resamples?, seed? }", boot);
    const b = boot as Record<string, unknown>;
    for (const key of Object.keys(b))
      if (key !== "resamples" && key !== "seed") {
        const error = unknown(key, ["resamples", "seed"], "bootstrap.");
        // The level is not a setting: every interval is a 95% one.
        if (key === "level") error.message += "; intervals are always 95%";
        throw error;
      }
    if (b.resamples !== undefined && !(Number.isSafeInteger(b.resamples) && (b.resamples as number) >= 1))
      fail("bootstrap.resamples", "a positive integer", b.resamples);
    if (b.seed !== undefined && !(Number.isSafeInteger(b.seed) && (b.seed as number) >= 0))
      fail("bootstrap.seed", "an integer >= 0", b.seed);
  }
  // The verifier checks its options when it grades: first at the first sample, after run.json had pinned the
  // bad option, so the corrected rerun was refused as "different settings (grade)".
  if (config.grade !== undefined) {
    try {
      grade("", "0", config.grade);
    } catch (error) {
      throw new Error(`${where}.grade: ${(error as Error).message.replace(/^grade: /, "")}`);
    }
  }
  checkProblemIds(config, where, fail);
}

/**
 * `problemIds` names benchmarks and lists ids as strings. A misspelled benchmark name (`aime` for aime24) was
 * ignored, and the run covered the whole benchmark; ids written as numbers (AIME's `[60, 61]`) were refused as
 * "unknown problem ids 60, 61", which read as if those problems were missing. A built-in name that is not in this
 * run's benchmarks is allowed (a config shared by runs of different `--benchmarks`).
 */
function checkProblemIds(
  config: EvalConfig,
  where: string,
  fail: (field: string, expected: string, value: unknown) => never,
): void {
  const ids: unknown = config.problemIds;
  if (ids === undefined) return;
  if (typeof ids !== "object" || ids === null || Array.isArray(ids))
    fail("problemIds", 'an object of id lists by benchmark name, e.g. { "aime24": ["60", "61"] }', ids);
  const names = config.benchmarks.map((b) => (typeof b === "string" ? b : b.name));
  const known = [...new Set([...names, ...Object.keys(BUILTIN_BENCHMARKS)])];
  for (const [name, list] of Object.entries(ids as Record<string, unknown>)) {
    if (!known.includes(name)) {
      const near = closestKey(name, known);
      throw new Error(
        `${where}.problemIds: "${name}" is not a benchmark${near === undefined ? "" : ` (did you mean "${near}"?)`}; this run's benchmarks: ${names.join(", ")}`,
      );
    }
    if (!Array.isArray(list)) fail(`problemIds.${name}`, "a list of id strings", list);
    for (const [i, id] of (list as unknown[]).entries()) {
      if (typeof id !== "string")
        fail(`problemIds.${name}[${i}]`, `an id string (ids are text: ${JSON.stringify(String(id))})`, id);
    }
  }
}

/** The run's benchmarks with their selected problems; names must be unique (records are keyed by them). */
function loadRunBenchmarks(config: EvalConfig, dataDir: string | undefined): LoadedBenchmark[] {
  const loaded = config.benchmarks.map((b) => {
    const name = typeof b === "string" ? b : b.name;
    const ids = config.problemIds?.[name];
    return loadBenchmark(b, {
      ...(config.limit !== undefined ? { limit: config.limit } : {}),
      ...(ids !== undefined ? { ids } : {}),
      ...(dataDir !== undefined ? { dataDir } : {}),
    });
  });
  const names = loaded.map((b) => b.spec.name);
  if (new Set(names).size !== names.length)
    throw new Error(`benchmark names must be unique, found ${names.join(", ")}`);
  return loaded;
}

export interface CheckRunFolderInput {
  config: EvalConfig;
  /** The model's id and fingerprint, as its generator will report them. */
  model: ModelIdentity;
  outDir: string;
  dataDir?: string;
}

/**
 * What runEval checks before it writes anything, without writing anything: the settings, the benchmarks, and
 * the run.json already in `outDir` (if any) against this run. A caller that must write into the output folder
 * before runEval starts (an HF checkpoint exported into OUT/onnx-export) calls this first, so a rerun that
 * runEval would refuse leaves the earlier run's files as they were.
 */
export function checkRunFolder(input: CheckRunFolderInput): void {
  validateEvalConfig(input.config);
  const loaded = loadRunBenchmarks(input.config, input.dataDir);
  const manifest = buildManifest(input.config, input.model, loaded);
  checkFolderContents(outputFiles(input.outDir), manifest, input.model, loaded, input.config);
}

/** A sample's key in the run's map of finished samples. */
const key = (benchmark: string, problemId: string, index: number): string =>
  `${benchmark}\u0000${problemId}\u0000${index}`;

/**
 * The folder's run.json against this run's manifest, and its records against this run: records without a
 * run.json (settings unknown), a sample recorded twice, or a record of a problem or sample index outside this
 * run are refused, naming the file. Reads only.
 */
function checkFolderContents(
  files: OutputFiles,
  manifest: RunManifest,
  model: ModelIdentity,
  loaded: readonly LoadedBenchmark[],
  config: EvalConfig,
): { stored: RunManifest | null; existing: ReadRecordsResult } {
  const { n } = config;
  const stored = checkRunManifest(files.run, manifest, model, config.chatTemplateKwargs);
  const hasRunFile = stored !== null;
  const existing = readRecords(files.records);
  if (!hasRunFile && (existing.records.length > 0 || existing.tornTail)) {
    // run.json is written before the first record, so these were made with settings nobody can check.
    throw new Error(
      `${files.records}: this folder holds records but no run.json, so the settings they were made with are unknown; start over in a new output folder (--out), or remove records.jsonl to start over in this one`,
    );
  }
  if (!hasRunFile) {
    // Not this run's (another tool's summary, an earlier run's reports): the run would replace them at its end.
    const found = [files.summary, files.markdown, files.html].filter((f) => existsSync(f));
    if (found.length > 0)
      throw new Error(
        `output folder ${dirname(files.run)} holds ${found.map((f) => basename(f)).join(", ")} but no run.json; this run would replace them: use a new output folder (--out), or move them away`,
      );
  }
  const ids = new Map(loaded.map((b) => [b.spec.name, new Set(b.problems.map((p) => p.id))]));
  for (const r of existing.records) {
    if (!ids.get(r.benchmark)?.has(r.problemId) || r.sampleIndex >= n) {
      throw new Error(
        `${files.records}: record ${r.benchmark}/${r.problemId}#${r.sampleIndex} is not part of this run`,
      );
    }
  }
  return { stored, existing };
}

function makeRecord(
  benchmark: string,
  problem: Problem,
  sample: Pick<GeneratedSample, "sampleIndex" | "text" | "tokens" | "finishReason">,
  options: GradeOptions,
): SampleRecord {
  const result = grade(sample.text, problem.answer, options);
  const record: SampleRecord = {
    benchmark,
    problemId: problem.id,
    sampleIndex: sample.sampleIndex,
    gold: problem.answer,
    text: sample.text,
    extracted: result.extracted,
    correct: result.correct,
    verdict: result.verdict,
    reason: result.reason,
    tokens: sample.tokens,
    finishReason: sample.finishReason,
  };
  if (problem.subject !== undefined) record.subject = problem.subject;
  if (problem.level !== undefined) record.level = problem.level;
  return record;
}

export async function runEval(input: RunEvalInput): Promise<RunEvalResult> {
  const { files, loaded } = prepareEval(input);
  // One run per output folder (in this process or another): two appending to one records.jsonl would grade
  // every sample twice.
  const release = claimEvalFolder(input.outDir);
  try {
    return await evalLocked(input, files, loaded);
  } finally {
    release();
  }
}

/**
 * runEval in an output folder the caller has already claimed with claimEvalFolder and releases itself:
 * ssb-eval holds the folder from its model export to the run's end, with no gap for another run to take it.
 */
export async function runEvalInClaimedFolder(input: RunEvalInput): Promise<RunEvalResult> {
  const { files, loaded } = prepareEval(input);
  return evalLocked(input, files, loaded);
}

/** The checks and reads that come before the folder is claimed. */
function prepareEval(input: RunEvalInput): {
  files: ReturnType<typeof outputFiles>;
  loaded: readonly LoadedBenchmark[];
} {
  const { config, outDir } = input;
  validateEvalConfig(config);
  input.signal?.throwIfAborted();
  // Replies read from a file are not sampled: n > 1 at temperature 0 is then nothing to warn about.
  if (config.sampling.temperature === 0 && config.n > 1 && input.generator.samples !== false) {
    // Not an error: greedy samples are identical, which is legal but almost always a configuration mistake.
    (input.warn ?? ((m: string) => process.emitWarning(m)))(
      `ssb-eval: n=${config.n} with temperature 0 (greedy) gives ${config.n} identical samples`,
    );
  }
  const files = outputFiles(outDir);
  // Benchmarks are read before the output folder is made or claimed: a missing file leaves no folder behind.
  const loaded = loadRunBenchmarks(config, input.dataDir);
  // A replies file without some of the run's samples would stop it midway, after run.json pinned settings that
  // cannot finish: refused here, before anything is written.
  input.generator.checkCoverage?.(
    loaded.map((b) => ({ benchmark: b.spec.name, problemIds: b.problems.map((p) => p.id) })),
    config.n,
  );
  return { files, loaded };
}

/**
 * A resumed run on another execution provider goes on (its samples are the same model's under the same seeds;
 * providers differ in float rounding only, so some samples can differ from one provider's), and run.json lists
 * every provider that wrote samples, in order.
 */
function recordExecutionProvider(
  runFile: string,
  stored: RunManifest,
  now: string | undefined,
  holdsSamples: boolean,
  warn: ((message: string) => void) | undefined,
): string[] | undefined {
  const providers = nextExecutionProviders(stored, now, holdsSamples);
  if (providers === null) return stored.executionProviders;
  // Nothing to say when the only earlier entry is the "unknown" of a run.json from before providers were kept.
  if (providers.slice(0, -1).some((p) => p !== UNRECORDED_PROVIDER))
    (warn ?? ((m: string) => process.emitWarning(m)))(
      `ssb-eval: ${runFile}: its samples so far were generated on ${providers.slice(0, -1).join(", then ")}, and this run is on ${now}; providers round floats differently, so some samples can differ from a run on one provider (run.json lists both)`,
    );
  writeFileAtomic(runFile, `${JSON.stringify({ ...stored, executionProviders: providers }, null, 2)}\n`);
  return providers;
}

/**
 * The records a resume keeps, as this run's verifier grades them. run.json names the @ssb/verifier version that
 * graded them: under another one (its rules changed: it once began grading only the text after the last
 * `</think>`), every record is graded again from its stored reply, records.jsonl is rewritten and then run.json
 * records this version (in that order: a crash between them regrades again, never keeps old verdicts under the
 * new version), with a note. A run.json from before versions were recorded keeps its records as they are, with
 * a note. Returns run.json and the records as they now are.
 */
function gradeWithThisVerifier(
  files: OutputFiles,
  stored: RunManifest,
  existing: ReadRecordsResult,
  problemsByBenchmark: ReadonlyMap<string, ReadonlyMap<string, Problem>>,
  options: GradeOptions,
  version: string | undefined,
  warn: (message: string) => void,
): { stored: RunManifest; existing: ReadRecordsResult } {
  const recorded = stored.verifierVersion;
  const count = existing.records.length;
  if (recorded === undefined) {
    if (count > 0)
      warn(
        `ssb-eval: note: ${files.run} records no verifier version (written before runs recorded it); the ${count} records in records.jsonl are kept as graded then (a new --out grades every sample with this @ssb/verifier${version === undefined ? "" : ` ${version}`})`,
      );
    return { stored, existing };
  }
  if (version === undefined || version === recorded) return { stored, existing };
  let changed = 0;
  const records = existing.records.map((r) => {
    const problem = problemsByBenchmark.get(r.benchmark)?.get(r.problemId);
    // checkFolderContents refused records outside the run, so every record has its problem.
    if (problem === undefined)
      throw new Error(`${files.records}: no problem for ${r.benchmark}/${r.problemId}`);
    const again = makeRecord(r.benchmark, problem, r, options);
    if (again.correct !== r.correct || again.verdict !== r.verdict || again.extracted !== r.extracted)
      changed++;
    return again;
  });
  const next: RunManifest = { ...stored, verifierVersion: version };
  if (count > 0) writeRecordsAtomic(files.records, records);
  writeFileAtomic(files.run, `${JSON.stringify(next, null, 2)}\n`);
  if (count > 0)
    warn(
      `ssb-eval: note: the ${count} records in ${files.records} were graded by @ssb/verifier ${recorded} and this is ${version}; regraded them from their stored replies (${changed} changed verdict or answer), and run.json now records ${version}`,
    );
  // The rewritten file has no torn tail; an untouched one keeps its own (the appender cuts it off).
  const validBytes = count > 0 ? statSync(files.records).size : existing.validBytes;
  return { stored: next, existing: { records, validBytes, tornTail: existing.tornTail } };
}

async function evalLocked(
  input: RunEvalInput,
  files: ReturnType<typeof outputFiles>,
  loaded: readonly LoadedBenchmark[],
): Promise<RunEvalResult> {
  const { config, generator, outDir } = input;

  const manifest = buildManifest(config, generator, loaded);
  // Everything already in the folder is checked before run.json is written, so a refused run claims nothing.
  const checked = checkFolderContents(files, manifest, generator, loaded, config);
  const problemsByBenchmark = new Map(
    loaded.map((b) => [b.spec.name, new Map(b.problems.map((p) => [p.id, p]))]),
  );
  const gradeOptions = config.grade ?? {};
  // The records already there, graded by this run's verifier (regraded when run.json names another).
  const { stored, existing } =
    checked.stored === null
      ? checked
      : gradeWithThisVerifier(
          files,
          checked.stored,
          checked.existing,
          problemsByBenchmark,
          gradeOptions,
          manifest.verifierVersion,
          input.warn ?? ((m: string) => process.emitWarning(m)),
        );
  const done = new Map<string, SampleRecord>();
  for (const r of existing.records) done.set(key(r.benchmark, r.problemId, r.sampleIndex), r);
  // The day a date-reading chat template renders: run.json's on a resume, so every prompt is of one day.
  const templateDate = runTemplateDate(
    config.templateDate,
    stored,
    generator.templateReadsDate === true,
    files.run,
    input.warn ?? ((m: string) => process.emitWarning(m)),
  );
  if (templateDate !== undefined) manifest.templateDate = templateDate;
  let current = stored;
  if (stored !== null && templateDate !== undefined && stored.templateDate !== templateDate) {
    // A run.json from before days were pinned (or without one for a given day): it records the day now.
    current = { ...stored, templateDate };
    writeFileAtomic(files.run, `${JSON.stringify(current, null, 2)}\n`);
  }
  if (current !== null && current.n < config.n) {
    // A larger n (checkRunManifest allowed it): run.json records it before any new sample is appended, so a
    // crash leaves no record past the n it names.
    (input.warn ?? ((m: string) => process.emitWarning(m)))(
      `ssb-eval: note: ${files.run} records n = ${current.n}; this run raises it to ${config.n}: the ${existing.records.length} samples already there are kept and samples ${current.n} to ${config.n - 1} of each problem are generated (a sample's seed depends on its problem and index alone, so the run ends as a fresh run with n = ${config.n} would)`,
    );
    current = { ...current, n: config.n };
    writeFileAtomic(files.run, `${JSON.stringify(current, null, 2)}\n`);
  }
  if (current === null) writeFileAtomic(files.run, `${JSON.stringify(manifest, null, 2)}\n`);
  // The template variables every prompt is rendered with: the given ones (a resume given others was refused
  // above), else run.json's, so a resume without the flag renders the prompts the run began with.
  const kwargs = config.chatTemplateKwargs ?? stored?.chatTemplateKwargs;
  const chatTemplateKwargs = chatTemplateKwargsKey(kwargs) === "" ? undefined : kwargs;
  const providers =
    current !== null
      ? recordExecutionProvider(
          files.run,
          current,
          generator.executionProvider,
          existing.records.length > 0,
          input.warn,
        )
      : manifest.executionProviders;
  const resumed = done.size;
  const total = loaded.reduce((s, b) => s + b.problems.length * config.n, 0);
  input.onProgress?.({ done: resumed, total, resumed });

  const appender = openRecordsAppender(files.records, existing.validBytes);
  let generated = 0;
  try {
    for (const bench of loaded) {
      const benchmark = bench.spec.name;
      const pending: GenerationPrompt[] = [];
      for (const problem of bench.problems) {
        const missing: number[] = [];
        for (let i = 0; i < config.n; i++) if (!done.has(key(benchmark, problem.id, i))) missing.push(i);
        if (missing.length > 0) {
          const messages = buildMessages(problem, {
            ...(config.systemPrompt !== undefined ? { systemPrompt: config.systemPrompt } : {}),
            ...(config.userTemplate !== undefined ? { userTemplate: config.userTemplate } : {}),
          });
          pending.push({ problemId: problem.id, messages, sampleIndices: missing });
        }
      }
      const batchSize = Math.max(1, config.promptsPerCall ?? 32);
      const problems = problemsByBenchmark.get(benchmark) ?? new Map<string, Problem>();
      for (let start = 0; start < pending.length; start += batchSize) {
        input.signal?.throwIfAborted();
        const batch = pending.slice(start, start + batchSize);
        const expected = new Set(
          batch.flatMap((p) => p.sampleIndices.map((i) => key(benchmark, p.problemId, i))),
        );
        const stream = generator.generate({
          benchmark,
          prompts: batch,
          n: config.n,
          sampling: config.sampling,
          seed: benchmarkSeed(config.seed, benchmark),
          ...(templateDate !== undefined ? { templateDate } : {}),
          ...(chatTemplateKwargs !== undefined ? { chatTemplateKwargs } : {}),
        });
        for await (const sample of stream) {
          const k = key(benchmark, sample.problemId, sample.sampleIndex);
          const problem = problems.get(sample.problemId);
          if (!expected.has(k) || problem === undefined) {
            throw new Error(
              `generator returned an unrequested or duplicate sample ${benchmark}/${sample.problemId}#${sample.sampleIndex}`,
            );
          }
          expected.delete(k);
          const record = makeRecord(benchmark, problem, sample, gradeOptions);
          appender.append([record]);
          done.set(k, record);
          generated++;
          input.onProgress?.({ done: done.size, total, resumed });
          // Leaving the loop closes the generator's stream (its return()), so an engine can stop at once.
          input.signal?.throwIfAborted();
        }
        if (expected.size > 0) {
          throw new Error(
            `generator finished without ${expected.size} requested samples (e.g. ${[...expected][0]?.replaceAll("\u0000", "/")})`,
          );
        }
      }
    }
  } finally {
    appender.close();
  }

  // Canonical order: benchmarks as configured, problems in file order, samples by index.
  const records: SampleRecord[] = [];
  for (const bench of loaded) {
    for (const problem of bench.problems) {
      for (let i = 0; i < config.n; i++) {
        const r = done.get(key(bench.spec.name, problem.id, i));
        if (r !== undefined) records.push(r);
      }
    }
  }
  writeRecordsAtomic(files.records, records);

  // run.json's id on a resume: a run begun under a model's former id (formerModelIds) keeps it and its name.
  const modelId = current?.modelId ?? generator.modelId;
  const summary = summarizeRecords(
    records,
    {
      name: config.name ?? modelId,
      modelId,
      n: config.n,
      sampling: { ...config.sampling },
      seed: config.seed,
      ...(providers !== undefined ? { executionProviders: providers } : {}),
      ...(generator.samples === false ? { replies: true } : {}),
      planned: loaded.map((b) => ({
        benchmark: b.spec.name,
        problems: b.problems.length,
        samplesPerProblem: config.n,
        fileProblems: b.fileProblems,
      })),
    },
    {
      bootstrap: { resamples: config.bootstrap?.resamples ?? 2000, seed: config.bootstrap?.seed ?? 0 },
      // Replies read from a file were not generated under this run's budget (the default 2048 drew every
      // 100-token reply in the first of eleven bins): their histogram spans the replies themselves.
      ...(generator.samples === false ? {} : { maxTokens: config.sampling.maxNewTokens }),
      // maj@k groups answers with the settings the samples were graded with.
      equivalence: gradeOptions,
    },
  );
  if (input.reports !== false) writeReports(outDir, [summary]);
  return { outDir, records, summary, generated, resumed, repairedTail: existing.tornTail };
}
