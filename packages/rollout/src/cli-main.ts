/**
 * `ssb-rollout`: problems JSONL × n samples through an exported ONNX model -> rollouts JSONL, resumable,
 * optionally capturing top-k logits. Parsing and the run live here (testable); cli.ts only calls runCli.
 */
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  UsageError as CliUsageError,
  checkPath,
  parseCommandLine,
  refuseRepeatedOptions,
  stopOnSignals,
  usageHint,
} from "@ssb/cli-kit";
import { type LogitDtype, LogitStoreError } from "@ssb/logit-store";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  ModelFileError,
  parseChatTemplateKwargs,
  parseTemplateDate,
  unusedChatTemplateKwargs,
} from "@ssb/model";
import { RolloutError } from "./errors.js";
import { EXECUTION_PROVIDERS, type ExecutionProviderName } from "./execution-provider.js";
import { type GenerateProgress, Generator, type RefillPolicy } from "./generator.js";
import { checkProblemPromptIds, type ProblemPrompt, readProblemsFile } from "./problems-file.js";
import { createRolloutProgress } from "./progress.js";
import { MAX_JOB_PAIRS, type RolloutJobSummary, runRollouts } from "./run-rollouts.js";
import { runTeacherReplies } from "./run-teacher-replies.js";
import type { SamplingParams } from "./sampling-params.js";
import { withSisterFlags } from "./sister-flags.js";
import { MATH_TUTOR_SYSTEM_PROMPT } from "./system-prompt.js";
import { readTeacherPromptsFile } from "./teacher-prompts-file.js";

export const USAGE = `Usage: ssb-rollout --model DIR --problems FILE --out FILE [options]
       ssb-rollout --model DIR --teacher-prompts FILE --out FILE [--capture-logits DIR] [options]

Sample n replies per problem from an ONNX decoder-with-past (e.g. exported by ssb-export-onnx) with
onnxruntime-node. Rerunning the same command resumes: pairs already in --out are skipped.

Input / output:
  --model DIR              folder with model.onnx (+ config.json, tokenizer.json, tokenizer_config.json),
                           or with onnx/model.onnx and those files beside onnx/, or a .onnx file
  --problems FILE          JSONL: {"id", "question"} (or {"id", "messages"} / {"id", "promptIds"}) per line;
                           without "id" the line number is the id
  --teacher-prompts FILE   instead of --problems: teacher-prompts.jsonl from ssb-curate; one reply per
                           request, each with the request's own sampling and seed, written as the
                           --teacher-replies JSONL ssb-curate reads (with --capture-logits: the pairs'
                           logits). Only --max-new-tokens (for requests without one), --stop, --stop-id,
                           --min-p and --repetition-penalty apply from the sampling flags
  --out FILE               rollouts JSONL (settings kept in FILE.settings.json)
  --system TEXT            system prompt placed before each question (default: the paper's math-tutor
                           prompt, the one ssb run, ssb-curate's student prompts and ssb-eval use)
  --no-system              no system turn before the questions
  --template-date DAY      YYYY-MM-DD: the day a chat template that writes the date into its prompts
                           (Llama 3.1/3.2-Instruct) renders; default: the day --out's settings record,
                           else today (local), recorded at the first start, so a resume on another day
                           renders the same prompts. Another day than the recorded one is refused
  --chat-template-kwargs JSON  extra chat template variables for every prompt, a JSON object, e.g.
                           '{"enable_thinking": false}' (Qwen3 without its thinking block);
                           recorded with --out's settings; default: the recorded ones. Other kwargs
                           than the recorded ones are refused
  --limit N                only the first N problems
  --capture-logits DIR     also store top-k raw logits of every sampled token (logit store)
  --capture-k K            entries per token (default 20; at most 65536 and the vocabulary size)
  --capture-dtype T        float16 (default) or float32 (needs --capture-logits, as --capture-k does)
  --capture-zstd           ZSTD-compress the logit shards (27-49% smaller, same values; a resume may change it)
  --flush-every N          records per logit shard flush (default 64; needs --capture-logits)
Sampling:
  --n N                    samples per problem (default 1; problems x n at most 16,777,216)
  --temperature T          0 = greedy (default 1)
  --top-k K                0 = off (default 0)
  --top-p P                1 = off (default 1)
  --min-p P                0 = off (default 0)
  --repetition-penalty R   1 = off (default 1)
  --max-new-tokens N       default 256
  --stop TEXT              stop string (repeatable)
  --stop-id ID             stop token id (repeatable), in addition to the model's own eos /
                           end-of-turn ids, which always stop
  --seed S                 default 0; an integer from 0 to 2^53 - 1
  --generation-config      start from the model's generation_config.json (do_sample, temperature,
                           top_k, top_p, min_p, repetition_penalty, max_new_tokens), as
                           transformers' generate() does; the flags above override it
Runtime:
  --batch-size N           sequences decoded together (default 32)
  --refill half|waves|eager|N  start waiting prompts once half the batch is free (half, default),
                           only when it drains (waves), as soon as a slot frees (eager) or once N
                           slots are free
  --ep cpu|cuda|webgpu|auto  execution provider (default cpu; auto = CUDA if installed, else CPU)
  --threads N              intra-op threads (default or 0: onnxruntime's choice; at most the CPUs)
  --inter-op-threads N     inter-op threads (same bounds)
  --no-progress            no progress bar
  -h, --help               show this help

Each flag is given once, but --stop and --stop-id, which add up.
`;

/** A mistake in the command line (exit 2): @ssb/cli-kit's UsageError, under this package's older name. */
export { CliUsageError };

export interface CliOptions {
  model: string;
  /** Problems JSONL, or (teacherPrompts true) curation's teacher-prompts.jsonl. */
  problems: string;
  teacherPrompts: boolean;
  out: string;
  system?: string;
  /** --system was given (not the default turn): said when no problem takes it. */
  systemGiven?: true;
  limit?: number;
  n: number;
  sampling: Partial<SamplingParams>;
  captureDir?: string;
  captureK: number;
  captureDtype: LogitDtype;
  captureZstd: boolean;
  flushEvery: number;
  batchSize: number;
  refill?: RefillPolicy;
  ep: ExecutionProviderName;
  threads?: number;
  interOpThreads?: number;
  progress: boolean;
  /** Sampling defaults from the model's generation_config.json (flags override). */
  generationConfig: boolean;
  /** --template-date: the day a date-reading chat template renders (runRollouts' templateDate). */
  templateDate?: string;
  /** --chat-template-kwargs: extra chat template variables (runRollouts' chatTemplateKwargs). */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

/** Bounds of a numeric flag; `above` excludes the lower bound itself; `why` says where `max` comes from. */
interface Range {
  min: number;
  above?: boolean;
  max?: number;
  why?: string;
}

/** Largest --capture-k: the logit store keeps at most this many entries per token (its format's limit). */
export const MAX_CAPTURE_K = 65_536;
/** Largest --stop-id: token ids are int32 in every vocabulary the exporter handles. */
const MAX_TOKEN_ID = 2 ** 31 - 1;

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/**
 * A flag's number: integers in plain digits (not "0x2" or "1e2"), decimals as written in the usage. Integers
 * above 2^53 - 1 are refused even without a `max`: they do not survive as numbers (2^53 + 1 reads as 2^53).
 */
function num(flag: string, value: string | undefined, integer: boolean, range: Range): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  const { min, above = false } = range;
  const max = range.max ?? (integer ? Number.MAX_SAFE_INTEGER : undefined);
  const inRange = (above ? v > min : v >= min) && (max === undefined || v <= max);
  if (!(integer ? INTEGER : DECIMAL).test(value.trim()) || !Number.isFinite(v) || !inRange) {
    // The implicit integer bound is only worth naming to someone who went past it.
    const showMax = max !== undefined && (range.max !== undefined || v > max);
    const why = range.why ?? (range.max === undefined ? "2^53 - 1" : undefined);
    const upper = showMax ? ` and <= ${max}${why ? ` (${why})` : ""}` : "";
    throw new CliUsageError(
      `--${flag}: expected ${integer ? "an integer" : "a number"} ${above ? ">" : ">="} ${min}${upper}, found "${value}"`,
    );
  }
  return v;
}

export function parseCliArgs(argv: string[]): CliOptions | "help" {
  // parseArgs' refusals said as one line: an unknown flag with the likely intended one, `--seed -1` told to
  // write --seed=-1, ...
  const parsed = withSisterFlags(() => parseCommandLine(() => parse(argv), OPTIONS, argv));
  const v = parsed.values;
  if (v.help) return "help";
  // parseArgs keeps the last of a repeated flag; `--n 2 --n 4` is more likely an edited command line than a wish.
  refuseRepeatedOptions(parsed.tokens ?? [], OPTIONS);
  for (const req of ["model", "out"] as const) {
    if (v[req] === undefined) throw new CliUsageError(`--${req} is required`);
  }
  const teacherPrompts = v["teacher-prompts"] !== undefined;
  if (teacherPrompts === (v.problems !== undefined))
    throw new CliUsageError("give --problems FILE or --teacher-prompts FILE (one of them)");
  if (teacherPrompts) {
    // A teacher request carries its own temperature, top-k, top-p and seed: a flag for them would be ignored.
    const own = [
      "n",
      "temperature",
      "top-k",
      "top-p",
      "seed",
      "system",
      "no-system",
      "generation-config",
    ] as const;
    const given = own.filter((f) => v[f] !== undefined);
    if (given.length > 0)
      throw new CliUsageError(
        `--teacher-prompts: ${given.map((f) => `--${f}`).join(", ")} cannot be used (each request carries its own sampling)`,
      );
  }
  const ep = (v.ep ?? "cpu") as ExecutionProviderName;
  if (!EXECUTION_PROVIDERS.includes(ep))
    throw new CliUsageError(`--ep must be one of ${EXECUTION_PROVIDERS.join(", ")}, found "${v.ep}"`);
  let refill: RefillPolicy | undefined;
  if (v.refill === "eager" || v.refill === "half" || v.refill === "waves") refill = v.refill;
  else if (v.refill !== undefined) {
    const slots = Number(v.refill);
    if (!INTEGER.test(v.refill.trim()) || !Number.isSafeInteger(slots) || slots < 1)
      throw new CliUsageError(
        `--refill: expected half, waves, eager or an integer >= 1 (free slots), found "${v.refill}"`,
      );
    refill = slots;
  }
  const dtype = v["capture-dtype"] ?? "float16";
  if (dtype !== "float16" && dtype !== "float32")
    throw new CliUsageError(`--capture-dtype must be float16 or float32, found "${dtype}"`);
  const sampling: Partial<SamplingParams> = {};
  const setNum = (key: keyof SamplingParams, flag: string, integer: boolean, range: Range): void => {
    const value = num(flag, v[flag as keyof typeof v] as string | undefined, integer, range);
    if (value !== undefined) (sampling as Record<string, unknown>)[key] = value;
  };
  setNum("temperature", "temperature", false, { min: 0 });
  setNum("topK", "top-k", true, { min: 0 });
  setNum("topP", "top-p", false, { min: 0, above: true, max: 1 });
  setNum("minP", "min-p", false, { min: 0, max: 1 });
  setNum("repetitionPenalty", "repetition-penalty", false, { min: 0, above: true });
  setNum("maxNewTokens", "max-new-tokens", true, { min: 1 });
  // Seeds key the counter-based streams by their low and high 32 bits (prng.ts): any exact integer works.
  setNum("seed", "seed", true, { min: 0, max: Number.MAX_SAFE_INTEGER, why: "2^53 - 1" });
  if (v.stop) {
    if (v.stop.some((s) => s === "")) throw new CliUsageError("--stop: expected a non-empty string");
    sampling.stopStrings = v.stop;
  }
  if (v["stop-id"])
    sampling.stopTokenIds = v["stop-id"].map(
      (s) => num("stop-id", s, true, { min: 0, max: MAX_TOKEN_ID, why: "2^31 - 1" }) as number,
    );
  if (v["capture-logits"] === undefined)
    for (const flag of ["capture-k", "capture-dtype", "capture-zstd", "flush-every"] as const)
      if (v[flag] !== undefined) throw new CliUsageError(`--${flag} needs --capture-logits DIR`);
  // More threads than CPUs only slow onnxruntime down, and thousands stall it for minutes.
  const cpus = availableParallelism();
  const threadRange: Range = { min: 0, max: cpus, why: "this machine's CPUs; 0 = onnxruntime's choice" };
  const options: CliOptions = {
    model: v.model as string,
    problems: (v.problems ?? v["teacher-prompts"]) as string,
    teacherPrompts,
    out: v.out as string,
    n: num("n", v.n, true, { min: 1, max: MAX_JOB_PAIRS, why: "pairs one job takes" }) ?? 1,
    sampling,
    captureK:
      num("capture-k", v["capture-k"], true, {
        min: 1,
        max: MAX_CAPTURE_K,
        why: "the logit store's limit",
      }) ?? 20,
    captureDtype: dtype,
    captureZstd: v["capture-zstd"] === true,
    flushEvery: num("flush-every", v["flush-every"], true, { min: 1 }) ?? 64,
    batchSize: num("batch-size", v["batch-size"], true, { min: 1 }) ?? 32,
    ep,
    progress: !v["no-progress"],
    generationConfig: v["generation-config"] === true,
  };
  if (v.system !== undefined && v["no-system"])
    throw new CliUsageError("give --system TEXT or --no-system, not both");
  // Lines with their own messages or token ids are used as they are; only {"question"} lines get this turn.
  if (!teacherPrompts && !v["no-system"]) options.system = v.system ?? MATH_TUTOR_SYSTEM_PROMPT;
  if (v.system !== undefined) options.systemGiven = true;
  if (refill !== undefined) options.refill = refill;
  const limit = num("limit", v.limit, true, { min: 1 });
  if (limit !== undefined) options.limit = limit;
  if (v["capture-logits"] !== undefined) options.captureDir = v["capture-logits"];
  const threads = num("threads", v.threads, true, threadRange);
  if (threads !== undefined) options.threads = threads;
  const inter = num("inter-op-threads", v["inter-op-threads"], true, threadRange);
  if (inter !== undefined) options.interOpThreads = inter;
  const day = v["template-date"];
  if (day !== undefined) {
    try {
      parseTemplateDate(day, "--template-date");
    } catch (e) {
      throw new CliUsageError(e instanceof Error ? e.message : String(e));
    }
    options.templateDate = day;
  }
  const kwargs = v["chat-template-kwargs"];
  if (kwargs !== undefined) {
    try {
      options.chatTemplateKwargs = parseChatTemplateKwargs(kwargs, "--chat-template-kwargs");
    } catch (e) {
      throw new CliUsageError(e instanceof Error ? e.message : String(e));
    }
  }
  return options;
}

const OPTIONS = {
  model: { type: "string" },
  problems: { type: "string" },
  "teacher-prompts": { type: "string" },
  out: { type: "string" },
  system: { type: "string" },
  "no-system": { type: "boolean" },
  limit: { type: "string" },
  "capture-logits": { type: "string" },
  "capture-k": { type: "string" },
  "capture-dtype": { type: "string" },
  "capture-zstd": { type: "boolean" },
  "flush-every": { type: "string" },
  n: { type: "string" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "min-p": { type: "string" },
  "repetition-penalty": { type: "string" },
  "max-new-tokens": { type: "string" },
  stop: { type: "string", multiple: true },
  "stop-id": { type: "string", multiple: true },
  seed: { type: "string" },
  "batch-size": { type: "string" },
  refill: { type: "string" },
  ep: { type: "string" },
  threads: { type: "string" },
  "inter-op-threads": { type: "string" },
  "no-progress": { type: "boolean" },
  "generation-config": { type: "boolean" },
  "template-date": { type: "string" },
  "chat-template-kwargs": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, strict: true, allowPositionals: false, tokens: true, options: OPTIONS });
}

/**
 * The store is a folder, created when missing. A path that is a file (or lies under one) is refused naming the
 * flag, before the model loads and before any output is opened.
 */
function checkCaptureDir(dir: string): void {
  let parent = dir;
  while (!existsSync(parent)) {
    const up = dirname(parent);
    if (up === parent) return;
    parent = up;
  }
  if (statSync(parent).isDirectory()) return;
  const what = parent === dir ? "is a file" : `lies under ${parent}, which is a file`;
  throw new RolloutError(
    `--capture-logits ${dir}: ${what}, not a folder; the logit store is a folder (give a new folder or an existing store)`,
  );
}

/** Flags whose bound is the model's vocabulary, checked once it is loaded and before any output is opened. */
function checkAgainstVocabulary(options: CliOptions, vocab: number): void {
  if (vocab <= 0) return; // a graph with a symbolic vocabulary and no config.json: the job checks per step
  if (options.captureDir !== undefined && options.captureK > vocab)
    throw new CliUsageError(
      `--capture-k ${options.captureK}: more entries than the model's vocabulary of ${vocab} tokens; give at most ${vocab}`,
    );
  const outside = options.sampling.stopTokenIds?.find((id) => id >= vocab);
  if (outside !== undefined)
    throw new CliUsageError(
      `--stop-id ${outside}: not a token of the model (its vocabulary is ids 0 to ${vocab - 1})`,
    );
}

/**
 * `--system TEXT` leads only the prompts built from a "question"; lines with their own "messages" or
 * "promptIds" are used as they are. Given for a file of such lines alone it changed no prompt without a word.
 */
function unusedSystemNote(options: CliOptions, problems: readonly ProblemPrompt[]): string | null {
  if (!options.systemGiven) return null;
  const takesIt = (p: ProblemPrompt): boolean =>
    p.messages?.length === 2 && p.messages[0]?.role === "system" && p.messages[0].content === options.system;
  if (problems.some(takesIt)) return null;
  return `note: --system changes no prompt: every problem read from ${options.problems} has its own "messages" or "promptIds", used as they are (only "question" lines get the system turn)`;
}

/**
 * `--stop-id` adds to the model's own stop ids (eos / end-of-turn) rather than replacing them, as the API's
 * `stopTokenIds` does: a run given `--stop-id 13` must still end at `<|im_end|>`, not sample past it to the
 * token limit (and a student distilled on those records would learn to). Model ids first, then the flags'.
 */
export function withModelStops(
  sampling: Partial<SamplingParams>,
  modelStops: readonly number[],
): Partial<SamplingParams> {
  if (sampling.stopTokenIds === undefined) return sampling;
  return { ...sampling, stopTokenIds: [...new Set([...modelStops, ...sampling.stopTokenIds])] };
}

/**
 * A kwarg the model's chat template never names changes no prompt (transformers takes it silently): most
 * often a misspelling such as `enable_thinkng`, which would leave Qwen3 thinking for the whole job. Said once,
 * as a warning: the job runs (and records the kwargs) all the same.
 */
function unusedKwargsWarning(generator: Generator, kwargs: ChatTemplateKwargs | undefined): string | null {
  if (chatTemplateKwargsKey(kwargs) === "") return null;
  const source = generator.tokenizer?.chatTemplate?.source;
  const unused = unusedChatTemplateKwargs(source ?? "", kwargs);
  if (unused.length === 0) return null;
  const names = unused.map((name) => `"${name}"`).join(", ");
  return source === undefined
    ? `warning: --chat-template-kwargs: the model has no chat template, so ${names} change no prompt`
    : `warning: --chat-template-kwargs: the model's chat template never reads ${names}, so they change no prompt (misspelt?)`;
}

/** Run the CLI; returns the exit code. */
export interface CliIo {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/**
 * Runs ssb-rollout on `argv`; returns the exit code. `program` is the name its messages and help go by:
 * `ssb rollout` (the ssb CLI's subcommand) says so, since a user who installed the ssb CLI alone may have no
 * `ssb-rollout` on the PATH to run `--help` with.
 */
export async function runCli(
  argv: string[],
  io: CliIo = { out: process.stdout, err: process.stderr },
  program = "ssb-rollout",
): Promise<number> {
  let options: CliOptions | "help";
  try {
    options = parseCliArgs(argv);
  } catch (e) {
    if (e instanceof CliUsageError) {
      // The error and where to look, not the whole help, which would scroll the error out of sight.
      io.err.write(`${program}: ${e.message}\n${usageHint(program)}\n`);
      return 2;
    }
    throw e;
  }
  if (options === "help") {
    io.out.write(USAGE.replaceAll("ssb-rollout", program));
    return 0;
  }
  let generator: Generator | null = null;
  // Ctrl-C (or SIGTERM) stops the job after the current step; what finished is saved, and rerunning the
  // same command resumes. A second signal quits at once (the output stays consistent: it is only appended).
  const stop = stopOnSignals((signal) =>
    io.err.write(`\n${program}: ${signal}: saving what has finished (${signal} again to quit at once)\n`),
  );
  try {
    // A path that names nothing (or a folder for a file) is a mistake on the command line, said with its flag
    // (exit 2, as ssb-eval and ssb-curate say it), not Node's EISDIR / ENOENT from deep inside the job.
    checkPath(options.problems, "file", {
      flag: options.teacherPrompts ? "--teacher-prompts" : "--problems",
    });
    checkPath(options.model, "file or folder", { flag: "--model" });
    // `--out runs/new/` (a folder that does not exist yet) failed with Node's ENOENT on a lock's temp file.
    if (/[\\/]$/.test(options.out))
      throw new CliUsageError(
        `--out ${options.out}: names a folder; the output is a JSONL file beside its settings and lock files (give a file path, e.g. ${options.out}rollouts.jsonl)`,
      );
    if (options.captureDir !== undefined) checkCaptureDir(options.captureDir);
    // Read before the model loads (seconds to minutes), so a bad line fails at once.
    const input = options.teacherPrompts
      ? {
          kind: "teacher" as const,
          prompts: readTeacherPromptsFile(options.problems, options.limit),
        }
      : {
          kind: "problems" as const,
          problems: readProblemsFile(options.problems, options.system, options.limit),
        };
    const unusedSystem = input.kind === "problems" ? unusedSystemNote(options, input.problems) : null;
    if (unusedSystem !== null) io.err.write(`${program}: ${unusedSystem}\n`);
    if (input.kind === "problems" && input.problems.length * options.n > MAX_JOB_PAIRS) {
      throw new CliUsageError(
        `--n ${options.n}: with ${input.problems.length} problems that is ${input.problems.length * options.n} pairs, more than the ${MAX_JOB_PAIRS} one job takes; split the problems over several jobs (--out each)`,
      );
    }
    const settings: Parameters<typeof Generator.load>[1] = {
      executionProvider: options.ep,
      warn: (m) => io.err.write(`${m}\n`),
    };
    if (options.threads !== undefined) settings.intraOpThreads = options.threads;
    if (options.interOpThreads !== undefined) settings.interOpThreads = options.interOpThreads;
    generator = await Generator.load(options.model, settings);
    checkAgainstVocabulary(options, generator.vocabSize);
    if (input.kind === "problems")
      checkProblemPromptIds(input.problems, generator.vocabSize, options.problems);
    const unusedKwargs = unusedKwargsWarning(generator, options.chatTemplateKwargs);
    if (unusedKwargs !== null) io.err.write(`${program}: ${unusedKwargs}\n`);
    const sampling = withModelStops(options.sampling, generator.defaultStopTokenIds());
    const bar = options.progress ? createRolloutProgress(io.err) : null;
    const onProgress = (p: GenerateProgress, alreadyDone: number): void => bar?.update(p, alreadyDone);
    const capture =
      options.captureDir !== undefined
        ? {
            dir: options.captureDir,
            k: options.captureK,
            dtype: options.captureDtype,
            ...(options.captureZstd ? { compression: "zstd" as const } : {}),
          }
        : undefined;
    let summary: RolloutJobSummary;
    if (input.kind === "teacher") {
      summary = await runTeacherReplies({
        generator,
        prompts: input.prompts,
        outFile: options.out,
        sampling,
        maxBatch: options.batchSize,
        flushEvery: options.flushEvery,
        onProgress,
        signal: stop.signal,
        warn: (m) => io.err.write(`${program}: ${m}\n`),
        ...(capture ? { capture } : {}),
        ...(options.templateDate !== undefined ? { templateDate: options.templateDate } : {}),
        ...(options.chatTemplateKwargs !== undefined
          ? { chatTemplateKwargs: options.chatTemplateKwargs }
          : {}),
      });
    } else {
      const job: Parameters<typeof runRollouts>[0] = {
        generator,
        problems: input.problems,
        n: options.n,
        sampling: options.generationConfig ? { ...generator.modelSampling(), ...sampling } : sampling,
        outFile: options.out,
        maxBatch: options.batchSize,
        flushEvery: options.flushEvery,
        onProgress,
        signal: stop.signal,
        warn: (m) => io.err.write(`${program}: ${m}\n`),
      };
      if (options.refill !== undefined) job.refill = options.refill;
      if (capture) job.capture = capture;
      if (options.templateDate !== undefined) job.templateDate = options.templateDate;
      if (options.chatTemplateKwargs !== undefined) job.chatTemplateKwargs = options.chatTemplateKwargs;
      summary = await runRollouts(job);
    }
    bar?.finish();
    const done = summary.skipped + summary.written;
    io.err.write(
      `${program}: ${summary.written} new, ${summary.skipped} already done, ${done}/${summary.total} of this job in ${options.out}; ${summary.generatedTokens} tokens in ${summary.seconds.toFixed(1)} s (${summary.tokensPerSecond.toFixed(0)} tok/s) on ${generator.session.executionProvider}\n`,
    );
    if (summary.interrupted) {
      io.err.write(`${program}: interrupted; rerun the same command to resume\n`);
      return 130;
    }
    return 0;
  } catch (e) {
    if (e instanceof CliUsageError) {
      io.err.write(`${program}: ${e.message}\n${usageHint(program)}\n`);
      return 2;
    }
    if (e instanceof RolloutError || e instanceof ModelFileError || e instanceof LogitStoreError) {
      io.err.write(`${program}: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    stop.dispose();
    await generator?.close();
  }
}
