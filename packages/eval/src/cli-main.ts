/**
 * `ssb-eval`: evaluate a model (or a file of replies) on benchmarks, re-render reports, compare two runs.
 * `main` takes argv and streams so tests run it in-process.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  checkPath,
  closestKey,
  createProgressBar,
  type PathKind,
  type ProgressBar,
  type ProgressStream,
  usageHint,
} from "@ssb/cli-kit";
import { readJsonFile } from "@ssb/durable-files";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  isTemplateDate,
  parseChatTemplateKwargs,
  unusedChatTemplateKwargs,
} from "@ssb/model";
import { type BenchmarkSpec, BUILTIN_BENCHMARKS, parseBenchmarkSpec } from "./benchmarks.js";
import { type CliOptions, parseCommandLine, refuseRepeatedOptions, UsageError } from "./cli-args.js";
import { compareRuns } from "./compare.js";
import { packageDataDir } from "./data-dir.js";
import type { SampleGenerator } from "./generator.js";
import { lastNumberRules } from "./last-number-rules.js";
import { loadBenchmark } from "./load-benchmark.js";
import { isUserTemplate } from "./prompt.js";
import { readTextFile } from "./read-file.js";
import { readRecords } from "./records-file.js";
import { loadRepliesGenerator } from "./replies-generator.js";
import { comparisonMarkdown, summaryMarkdown } from "./report-markdown.js";
import { checkOutFolder, reportOutDir, runFolderOf } from "./report-out-dir.js";
import {
  checkRunFolder,
  claimEvalFolder,
  type EvalConfig,
  type RunEvalInput,
  runEval,
  runEvalInClaimedFolder,
  validateEvalConfig,
} from "./run-eval.js";
import { type ModelIdentity, type RunManifest, readRunManifest } from "./run-manifest.js";
import { SAMPLING_RULES } from "./sampling-rules.js";
import { withSisterFlags } from "./sister-flags.js";
import { type PlannedBenchmark, type RunSummary, summarizeRecords } from "./summarize.js";
import type { SamplingParams } from "./types.js";
import { writeReports } from "./write-reports.js";

export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
}

/** Builds a generator for `--model`; injected so the CLI itself does not load ONNX Runtime until asked. */
export type ModelGeneratorFactory = (options: {
  model: string;
  adapter?: string;
  batchSize?: number;
  /** The run's output folder (an HF checkpoint is exported to ONNX inside it). */
  workDir: string;
  executionProvider?: "cpu" | "cuda" | "webgpu" | "auto";
  /**
   * To be called with the model's id and fingerprint before anything is exported or loaded (it throws when the
   * run folder holds a run this one may not continue); see openModelGenerator's `beforeOpen`.
   */
  beforeOpen?: (model: ModelIdentity) => void | Promise<void>;
}) => Promise<SampleGenerator>;

const HELP = `ssb-eval: evaluate math models on GSM8K, MATH500 and AIME 2024 with honest statistics

Usage:
  ssb-eval [run] --model DIR --out DIR [options]     generate, grade, summarise (resumable)
  ssb-eval [run] --replies FILE --out DIR [options]  grade replies produced elsewhere
  ssb-eval report RUN_DIR... [--out DIR]             re-render summary and reports from records
  ssb-eval compare RUN_A RUN_B [--out DIR]           paired comparison of two runs (B - A)

Run options:
  --model DIR             ONNX decoder folder (e.g. from ssb-export-onnx) or HF checkpoint folder (exported
                          to ONNX into OUT/onnx-export first, reused on reruns)
  --adapter DIR           PEFT LoRA adapter merged into the HF checkpoint --model before export
  --replies FILE          JSONL of {problemId, sampleIndex, text, tokens?, finishReason?, benchmark?}; without
                          tokens, tokenIds (ssb-rollout's records) are counted, else words
  --benchmarks LIST       comma-separated: ${Object.keys(BUILTIN_BENCHMARKS).join(",")} (default: all three)
  --benchmark-config FILE JSON benchmark spec (or array of specs) for other JSONL files; a name in
                          --benchmarks picks its spec, the specs it does not name are added
  --config FILE           JSON with any EvalConfig fields (n, sampling, seed, systemPrompt, ...); flags override
  --n N                   samples per problem (default 1)
  --temperature T         0 = greedy (default 0)
  --top-p P, --top-k K    nucleus / top-k sampling
  --min-p P               min-p sampling
  --repetition-penalty R  transformers' repetition penalty (1 = off)
  --max-new-tokens N      token budget per reply (default 2048)
  --seed N                run seed (default 0)
  --limit N               first N problems of each benchmark
  --batch-size N          sequences decoded together (rollout's maxBatch, default 32)
  --execution-provider EP ONNX Runtime provider: cpu (default), cuda, webgpu, auto (short: --ep EP)
  --system-prompt TEXT    system prompt (default: the paper's math-tutor prompt)
  --system-prompt-file F  system prompt from a file
  --no-system-prompt      send no system turn
  --user-template TEXT    user turn with {{question}} (default: the bare question)
  --template-date DAY     YYYY-MM-DD: the day a chat template that writes the date into its prompts
                          (Llama 3.1/3.2-Instruct) renders; default: the day OUT/run.json records, else
                          today (local), recorded at the first start, so a resume on another day renders
                          the same prompts. Another day than the recorded one is refused
  --chat-template-kwargs JSON
                          extra chat template variables for every prompt, as transformers'
                          apply_chat_template(**kwargs) / vLLM's chat_template_kwargs: Qwen3 thinks
                          first unless '{"enable_thinking": false}'. Recorded in OUT/run.json; a resume
                          without the flag uses the recorded ones, other ones are refused
  --last-number           grade with the verifier's default rules (\\boxed{}, ####, "final answer", "the answer
                          is", a trailing $...$, <answer> blocks), then the last number when none finds one
  --name NAME             run name in reports (default: the model id: the --model folder's name, with its
                          parent's before a generic one like model or onnx (ssb/model), + the adapter's)
  --resamples N           bootstrap resamples (default 2000)
  --out DIR               output folder: run.json, records.jsonl, summary.json, report.md, report.html
  --help, -h              this help
`;

/** A flag's number, at least `min`: integers as plain digits (not "0x2" or "1e2"), so a typo is not a value. */
function parseNumber(
  value: string | undefined,
  flag: string,
  integer: boolean,
  min = Number.NEGATIVE_INFINITY,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const form = integer ? /^\s*[0-9]+\s*$/ : /^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$/;
  // Integers past 2^53 - 1 are not held exactly: a seed there would silently be another seed.
  const tooBig = integer && n > Number.MAX_SAFE_INTEGER;
  if (!form.test(value) || !Number.isFinite(n) || n < min || tooBig) {
    const bound = integer
      ? ` from ${min} to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`
      : min > Number.NEGATIVE_INFINITY
        ? ` >= ${min}`
        : "";
    throw new UsageError(
      `${flag}: expected ${integer ? "an integer" : "a number"}${bound}, found "${value}"`,
    );
  }
  return n;
}

/**
 * A sampling flag's value, checked against its setting's range here so the error names the flag: left to the
 * config check, it was reported as `config.sampling.topP` (or as a field of the --config file, which never
 * held it). The ranges themselves live in one place, `SAMPLING_RULES`.
 */
function samplingFlag(
  values: Record<string, string | boolean | undefined>,
  flag: string,
  field: keyof SamplingParams,
  integer: boolean,
): number | undefined {
  const raw = values[flag];
  if (typeof raw !== "string") return undefined;
  const rule = SAMPLING_RULES[field];
  let value: number | undefined;
  try {
    // parseNumber checks the written form (and integers' 2^53 bound); the rule says the whole range.
    value = parseNumber(raw, `--${flag}`, integer);
  } catch {
    value = undefined;
  }
  if (value === undefined || !rule.ok(value))
    throw new UsageError(`--${flag}: expected ${rule.expected}, found "${raw}"`);
  return value;
}

function loadSpecs(path: string): BenchmarkSpec[] {
  const value = readJsonFile(path);
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    const spec = parseBenchmarkSpec(v, `${path}${Array.isArray(value) ? `[${i}]` : ""}`);
    return { ...spec, file: specDataFile(spec.name, spec.file, path) };
  });
}

/**
 * A spec's data file, read from the folder of the JSON file that holds the spec (--benchmark-config or --config),
 * as a user writing it next to the data expects. Said here, with the spec file and the rule: "cannot read
 * bad/bad/x.jsonl (ENOENT ...)" came later and left the user to work out why the folder appeared twice.
 */
function specDataFile(name: string, file: string, specPath: string): string {
  const resolved = resolve(dirname(specPath), file);
  if (existsSync(resolved)) return resolved;
  const fromHere = !isAbsolute(file) && existsSync(file);
  throw new Error(
    `${specPath}: benchmark "${name}": "file" ${JSON.stringify(file)} names nothing at ${resolved}; a relative "file" is read from the spec file's folder${fromHere ? ` (${file} exists from the current folder: write the path from ${dirname(specPath)}, or an absolute one)` : ""}`,
  );
}

/**
 * `--config`'s benchmark specs with their relative files read from the config's folder, as --benchmark-config's
 * are: they were read from the package's own data folder (`cannot read .../packages/eval/data/t.jsonl`). A file
 * there is still found (a spec over a shipped file), and a spec with a bad `file` is left for the checks to name.
 */
function configSpecFiles(benchmarks: unknown, configPath: string): unknown {
  if (!Array.isArray(benchmarks)) return benchmarks;
  return benchmarks.map((b: unknown) => {
    if (typeof b !== "object" || b === null || Array.isArray(b)) return b;
    const { name, file } = b as { name?: unknown; file?: unknown };
    if (typeof file !== "string" || file === "" || isAbsolute(file)) return b;
    if (existsSync(join(packageDataDir(), file)) && !existsSync(resolve(dirname(configPath), file))) return b;
    return { ...b, file: specDataFile(typeof name === "string" ? name : "?", file, configPath) };
  });
}

/** A run folder or a records.jsonl path → its records and a display name. */
function loadRun(path: string): {
  name: string;
  records: ReturnType<typeof readRecords>["records"];
  manifest?: RunManifest;
  /** Its texts came from a replies file (summary.json says so; older ones: a `replies:` model id). */
  replies: boolean;
  /** The bootstrap its summary.json was computed with (a config's `bootstrap`), when it has one. */
  bootstrap?: { resamples: number; seed: number };
  /** The name its own summary.json holds (its --name, else the model id), which a re-render in place keeps. */
  storedName?: string;
} {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const file = isDir ? join(path, "records.jsonl") : path;
  if (!existsSync(file))
    throw new Error(`${file}: no records file (expected a run folder or a records.jsonl)`);
  const { records, tornTail } = readRecords(file);
  if (tornTail)
    throw new Error(`${file}: last line is incomplete (the run was interrupted; rerun it to finish)`);
  const runDir = isDir ? path : dirname(path);
  const runFile = join(runDir, "run.json");
  const manifest = existsSync(runFile) ? readRunManifest(runFile) : undefined;
  // A name given with --name is in the run's summary (it differs from the model id there); otherwise the
  // folder's name, shorter than most model ids.
  const summaryFile = join(runDir, "summary.json");
  const summary = existsSync(summaryFile)
    ? (readJsonFile(summaryFile) as {
        run?: { name?: unknown; modelId?: unknown; replies?: unknown };
        bootstrap?: { resamples?: unknown; seed?: unknown };
      })
    : undefined;
  const { resamples, seed } = summary?.bootstrap ?? {};
  const validBootstrap =
    Number.isSafeInteger(resamples) &&
    (resamples as number) >= 1 &&
    Number.isSafeInteger(seed) &&
    (seed as number) >= 0;
  const given = summary?.run?.name;
  const named = typeof given === "string" && given !== "" && given !== summary?.run?.modelId;
  const stored = typeof given === "string" && given !== "" ? given : manifest?.modelId;
  return {
    name: named ? given : basename(resolve(runDir)),
    ...(stored !== undefined ? { storedName: stored } : {}),
    records,
    ...(manifest ? { manifest } : {}),
    replies: summary?.run?.replies === true || (manifest?.modelId.startsWith("replies:") ?? false),
    ...(validBootstrap ? { bootstrap: { resamples: resamples as number, seed: seed as number } } : {}),
  };
}

const RUN_OPTIONS = {
  model: { type: "string" },
  adapter: { type: "string" },
  replies: { type: "string" },
  benchmarks: { type: "string" },
  "benchmark-config": { type: "string" },
  config: { type: "string" },
  n: { type: "string" },
  temperature: { type: "string" },
  "top-p": { type: "string" },
  "top-k": { type: "string" },
  "max-new-tokens": { type: "string" },
  seed: { type: "string" },
  limit: { type: "string" },
  "batch-size": { type: "string" },
  "system-prompt": { type: "string" },
  "system-prompt-file": { type: "string" },
  "no-system-prompt": { type: "boolean" },
  "user-template": { type: "string" },
  "template-date": { type: "string" },
  "chat-template-kwargs": { type: "string" },
  "last-number": { type: "boolean" },
  name: { type: "string" },
  resamples: { type: "string" },
  out: { type: "string" },
  "execution-provider": { type: "string" },
  // ssb-rollout's name for it, which its provider messages ("Use --ep cpu") give.
  ep: { type: "string" },
  "min-p": { type: "string" },
  "repetition-penalty": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

// What a path flag must name: a file, a folder, or either (--model: a folder or a single .onnx file).
const PATH_FLAGS: readonly [flag: keyof typeof RUN_OPTIONS, kind: PathKind][] = [
  ["model", "file or folder"],
  ["adapter", "folder"],
  ["replies", "file"],
  ["config", "file"],
  ["benchmark-config", "file"],
  ["system-prompt-file", "file"],
];

/**
 * Each path flag's path exists and is what the flag reads, said with the flag (`--adapter nope: no such
 * folder`) before anything is read, exported or written; Node's own message (`ENOENT: ... stat '/abs/nope'`)
 * names neither the flag nor the path as given.
 */
function checkPathFlags(values: Record<string, string | boolean | undefined>): void {
  for (const [flag, kind] of PATH_FLAGS) {
    const path = values[flag];
    if (typeof path === "string") checkPath(path, kind, { flag: `--${flag}` });
  }
}

const REPORT_OPTIONS = { out: { type: "string" }, resamples: { type: "string" } } satisfies CliOptions;

async function runCommand(args: string[], io: CliIo, modelFactory?: ModelGeneratorFactory): Promise<number> {
  const { values, tokens } = withSisterFlags(() =>
    parseCommandLine(
      () => parseArgs({ args, options: RUN_OPTIONS, allowPositionals: false, tokens: true }),
      RUN_OPTIONS,
      args,
    ),
  );
  refuseRepeatedOptions(tokens, RUN_OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (values.out === undefined) throw new UsageError("--out DIR is required");
  checkPathFlags(values);
  const rawConfig = values.config ? readJsonFile(values.config) : {};
  if (typeof rawConfig !== "object" || rawConfig === null || Array.isArray(rawConfig)) {
    throw new Error(
      `${values.config}: expected a JSON object with EvalConfig fields (n, sampling, seed, ...)`,
    );
  }
  const fromFile = rawConfig as Partial<EvalConfig>;
  if (values.config !== undefined && fromFile.benchmarks !== undefined)
    fromFile.benchmarks = configSpecFiles(fromFile.benchmarks, values.config) as EvalConfig["benchmarks"];
  const sampling: SamplingParams = {
    temperature: 0,
    maxNewTokens: 2048,
    ...fromFile.sampling,
  };
  const flags: [string, keyof SamplingParams, boolean][] = [
    ["temperature", "temperature", false],
    ["top-p", "topP", false],
    ["top-k", "topK", true],
    ["min-p", "minP", false],
    ["repetition-penalty", "repetitionPenalty", false],
  ];
  for (const [flag, field, integer] of flags) {
    const value = samplingFlag(values, flag, field, integer);
    if (value !== undefined) sampling[field] = value;
  }
  const maxNew = parseNumber(values["max-new-tokens"], "--max-new-tokens", true, 1);
  if (maxNew !== undefined) sampling.maxNewTokens = maxNew;

  const benchmarks: (string | BenchmarkSpec)[] = [];
  const names = values.benchmarks
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const specs = values["benchmark-config"] ? loadSpecs(values["benchmark-config"]) : [];
  // A name in --benchmarks is the spec of that name from --benchmark-config when there is one (`--benchmarks
  // svamp` with svamp's spec), else a built-in; the specs it does not name are added after.
  const specByName = new Map(specs.map((spec) => [spec.name, spec]));
  // `--benchmarks ""` would otherwise fall back to the default three.
  if (names?.length === 0) throw new UsageError("--benchmarks: expected a comma-separated list of names");
  for (const [i, name] of (names ?? []).entries()) {
    // `gsm8k,gsm8k` was refused later as "benchmark names must be unique", not naming the flag, with exit 1.
    if (names?.indexOf(name) !== i) throw new UsageError(`--benchmarks: "${name}" is listed twice`);
    const spec = specByName.get(name);
    if (spec === undefined && !Object.hasOwn(BUILTIN_BENCHMARKS, name)) {
      const from = specs.length > 0 ? `, --benchmark-config: ${specs.map((x) => x.name).join(", ")}` : "";
      const near = closestKey(name, [...Object.keys(BUILTIN_BENCHMARKS), ...specByName.keys()]);
      throw new UsageError(
        `--benchmarks: unknown benchmark "${name}"${near === undefined ? "" : ` (did you mean ${near}?)`} (built-in: ${Object.keys(BUILTIN_BENCHMARKS).join(", ")}${from}; another JSONL file needs a spec given with --benchmark-config FILE)`,
      );
    }
    benchmarks.push(spec ?? name);
  }
  benchmarks.push(...specs.filter((spec) => !names?.includes(spec.name)));
  if (benchmarks.length === 0) benchmarks.push(...(fromFile.benchmarks ?? ["gsm8k", "math500", "aime24"]));

  const config: EvalConfig = {
    ...fromFile,
    benchmarks,
    sampling,
    n: fromFile.n ?? 1,
    seed: fromFile.seed ?? 0,
  };
  const n = parseNumber(values.n, "--n", true, 1);
  if (n !== undefined) config.n = n;
  const seed = parseNumber(values.seed, "--seed", true, 0);
  if (seed !== undefined) config.seed = seed;
  const limit = parseNumber(values.limit, "--limit", true, 1);
  if (limit !== undefined) config.limit = limit;
  const batchSize = parseNumber(values["batch-size"], "--batch-size", true, 1);
  const resamples = parseNumber(values.resamples, "--resamples", true, 1);
  if (resamples !== undefined) config.bootstrap = { ...config.bootstrap, resamples };
  // Two of these were resolved silently (--no-system-prompt --system-prompt X sent X; a file beat --system-prompt),
  // so a run went out with a prompt its command line also said not to use.
  const promptFlags = (["system-prompt", "system-prompt-file", "no-system-prompt"] as const).filter(
    (flag) => values[flag] !== undefined && values[flag] !== false,
  );
  if (promptFlags.length > 1)
    throw new UsageError(`${promptFlags.map((f) => `--${f}`).join(" and ")}: give only one of them`);
  if (values["no-system-prompt"]) config.systemPrompt = null;
  if (values["system-prompt"] !== undefined) config.systemPrompt = values["system-prompt"];
  if (values["system-prompt-file"] !== undefined)
    config.systemPrompt = readTextFile(values["system-prompt-file"]).trimEnd();
  if (values["user-template"] !== undefined) {
    // Checked here so the error names the flag, not the config field it sets.
    if (!isUserTemplate(values["user-template"]))
      throw new UsageError(
        `--user-template: expected a text containing {{question}}, found "${values["user-template"]}"`,
      );
    config.userTemplate = values["user-template"];
  }
  if (values["last-number"])
    config.grade = {
      ...config.grade,
      rules: lastNumberRules(join(values.out, "run.json")),
    };
  const templateDate = values["template-date"];
  if (templateDate !== undefined) {
    // Checked here so the error names the flag, not the config field it sets.
    if (!isTemplateDate(templateDate))
      throw new UsageError(
        `--template-date: expected a date as YYYY-MM-DD (e.g. 2024-07-26), found "${templateDate}"`,
      );
    config.templateDate = templateDate;
  }
  const kwargsFlag = values["chat-template-kwargs"];
  if (kwargsFlag !== undefined) {
    try {
      config.chatTemplateKwargs = parseChatTemplateKwargs(kwargsFlag, "--chat-template-kwargs");
    } catch (error) {
      // A bad value of a flag is a usage error (exit 2), like --template-date's.
      throw new UsageError((error as Error).message);
    }
  }
  // Replies come with their prompts already rendered elsewhere; eval renders none. Kwargs or a template day given
  // here would be recorded in run.json as if they had shaped the replies (and `compare` would note a difference
  // that is not real).
  if (values.replies !== undefined) {
    const renderSettings = [
      {
        field: "chatTemplateKwargs",
        flag: "--chat-template-kwargs",
        what: "chat template kwargs",
        set: kwargsFlag,
      },
      { field: "templateDate", flag: "--template-date", what: "a template date", set: templateDate },
    ] as const;
    for (const { field, flag, what, set } of renderSettings) {
      if (config[field] === undefined) continue;
      const given = set !== undefined ? flag : `${values.config}: field "${field}"`;
      throw new UsageError(
        `${given} cannot be used with --replies: the replies' prompts were rendered elsewhere, so ${what} here would change nothing (only be recorded in run.json); leave ${set !== undefined ? "the flag" : "the field"} out`,
      );
    }
  }
  if (values.name !== undefined && values.name.trim() === "")
    throw new UsageError('--name: expected a name to show in reports, found ""');
  if (values.name !== undefined) config.name = values.name;

  // Settings and benchmark files are checked before a model is exported or loaded (minutes for a large one),
  // and before anything is written to the output folder.
  validateEvalConfig(config, values.config ?? "config");
  for (const b of config.benchmarks) {
    const name = typeof b === "string" ? b : b.name;
    const ids = config.problemIds?.[name];
    loadBenchmark(b, {
      ...(config.limit !== undefined ? { limit: config.limit } : {}),
      ...(ids !== undefined ? { ids } : {}),
    });
  }

  let progress = { done: 0, total: 0 };
  // Every finished sample is already on disk (one fsync'ed line each), so Ctrl-C only has to say so. Listened
  // for from here on: Ctrl-C during a model's export or load (minutes for a large one) ended the command
  // without a word (and left eval.lock behind); process.exit runs the lock's exit hook.
  const out = values.out;
  const onSignal = (signal: NodeJS.Signals): void => {
    io.stderr.write(
      progress.total === 0
        ? `\nssb-eval: ${signal}: stopped before this run generated a sample (while the model was exported or loaded); samples saved by earlier runs are kept; rerun the same command to go on\n`
        : `\nssb-eval: ${signal}: ${progress.done}/${progress.total} samples are saved in ${join(out, "records.jsonl")}; rerun the same command to continue\n`,
    );
    process.exit(130);
  };
  const stopListening = (): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  let generator: SampleGenerator;
  // Set when this command claimed the run folder itself (for a model export): held until the run ends.
  let heldFolder: (() => void) | null = null;
  try {
    if (values.replies !== undefined) {
      if (values.model !== undefined) throw new UsageError("give either --model or --replies, not both");
      generator = loadRepliesGenerator(values.replies);
    } else if (values.model !== undefined) {
      if (modelFactory === undefined)
        throw new Error("--model needs a model generator (none is available in this build)");
      if (values.ep !== undefined && values["execution-provider"] !== undefined)
        throw new UsageError("give --execution-provider or its short form --ep, not both");
      const ep = values["execution-provider"] ?? values.ep;
      if (ep !== undefined && ep !== "cpu" && ep !== "cuda" && ep !== "webgpu" && ep !== "auto") {
        throw new UsageError(`--execution-provider: expected cpu, cuda, webgpu or auto, found "${ep}"`);
      }
      const runDir = values.out;
      const created = !existsSync(runDir);
      // An HF checkpoint is exported into OUT/onnx-export before runEval starts. The folder's lock is held for
      // the export too (two runs exporting into one folder would write the same files), and the run.json there
      // is checked first (beforeOpen): a rerun that runEval would refuse must not re-export over the earlier
      // run's export.
      const release = claimEvalFolder(runDir);
      try {
        generator = await modelFactory({
          model: values.model,
          workDir: runDir,
          beforeOpen: (model) => checkRunFolder({ config, model, outDir: runDir }),
          ...(ep !== undefined ? { executionProvider: ep } : {}),
          ...(values.adapter !== undefined ? { adapter: values.adapter } : {}),
          ...(batchSize !== undefined ? { batchSize } : {}),
        });
      } catch (error) {
        release();
        // A folder made only for this run and left empty (a wrong --model path) is not left behind.
        if (created && readdirSync(runDir).length === 0) rmdirSync(runDir);
        throw error;
      }
      heldFolder = release;
    } else {
      throw new UsageError("--model DIR or --replies FILE is required");
    }
  } catch (error) {
    stopListening();
    throw error;
  }

  // A kwarg the model's template never names changes no prompt (transformers accepts it silently): a misspelt
  // `enable_thinkng` would leave Qwen3 thinking without a word.
  const unused =
    generator.chatTemplateSource === undefined
      ? []
      : unusedChatTemplateKwargs(generator.chatTemplateSource, config.chatTemplateKwargs);
  // Qwen3's `enable_thinking` given to another model's template is spelt right: "check the spelling" would point
  // at a mistake that is not there, so only the other names get it.
  const maybeMisspelt = unused.filter((k) => k !== "enable_thinking");
  const spelling =
    maybeMisspelt.length === 0
      ? ""
      : `; check the spelling of ${maybeMisspelt.map((k) => `"${k}"`).join(", ")}`;
  if (unused.length > 0)
    io.stderr.write(
      `ssb-eval: warning: the model's chat template never mentions ${unused.map((k) => `"${k}"`).join(", ")} (chat template kwargs), so ${unused.length === 1 ? "it changes" : "they change"} no prompt${spelling}\n`,
    );
  // As ssb-rollout says it: a day given for a template that never writes one (Qwen's) changes no prompt, and a
  // user who set it to pin Llama-style prompts would otherwise believe it did something.
  if (
    config.templateDate !== undefined &&
    generator.samples !== false &&
    generator.templateReadsDate !== true
  )
    io.stderr.write(
      `ssb-eval: note: the model's chat template does not write the date, so the template date ${config.templateDate} changes no prompt (it is recorded in run.json)\n`,
    );

  // runEval makes the output folder once its checks pass (a replies file that lacks samples leaves none behind).
  let bar: ProgressBar | undefined;
  try {
    const input: RunEvalInput = {
      config,
      generator,
      outDir: values.out,
      warn: (m) => io.stderr.write(`${m}\n`),
      onProgress: (p) => {
        progress = p;
        bar ??= createProgressBar(p.total, { label: "ssb-eval", unit: "samples", stream: io.stderr });
        bar.update(p.done);
      },
    };
    // The folder claimed for the export stays claimed: no other run can take it between export and run.
    const result = heldFolder ? await runEvalInClaimedFolder(input) : await runEval(input);
    bar?.finish();
    if (result.repairedTail)
      io.stderr.write("note: an interrupted last record was dropped and regenerated\n");
    io.stderr.write(
      // Replies are read and graded, not generated: "160 samples generated" from a file was not what happened.
      `${result.generated} ${generator.samples === false ? "replies graded" : "samples generated"}, ${result.resumed} resumed; reports in ${values.out}\n`,
    );
    io.stdout.write(summaryMarkdown([result.summary]));
  } finally {
    stopListening();
    heldFolder?.();
    await generator.close?.();
  }
  return 0;
}

/**
 * What a run set out to cover, from its run.json; the problems in each benchmark's file when the file can still
 * be read (a moved custom file leaves it out rather than failing a report).
 */
function plannedOf(m: RunManifest): PlannedBenchmark[] {
  return m.benchmarks.map((b) => {
    let fileProblems: number | undefined;
    try {
      fileProblems = loadBenchmark(b.spec).fileProblems;
    } catch {
      fileProblems = undefined;
    }
    return {
      benchmark: b.name,
      problems: b.problemIds.length,
      samplesPerProblem: m.n,
      ...(fileProblems !== undefined ? { fileProblems } : {}),
    };
  });
}

/** Summary of a loaded run, with its settings from run.json when present. */
/**
 * The bootstrap to re-render runs with: `--resamples` when given, else what their summaries were computed with
 * when they agree (a config's `bootstrap: { seed: 7 }`), else 2,000 resamples and seed 0. `ssb-eval report RUN`
 * used 2,000 and seed 0 always, so it rewrote the summary.json of a run made with other settings with other
 * intervals.
 */
function bootstrapFor(
  runs: readonly ReturnType<typeof loadRun>[],
  resamplesFlag: number | undefined,
): { resamples: number; seed: number } {
  const agreed = (pick: (b: { resamples: number; seed: number }) => number): number | undefined => {
    const values = new Set(runs.map((r) => (r.bootstrap === undefined ? undefined : pick(r.bootstrap))));
    const [only] = values;
    return values.size === 1 ? only : undefined;
  };
  return { resamples: resamplesFlag ?? agreed((b) => b.resamples) ?? 2000, seed: agreed((b) => b.seed) ?? 0 };
}

function summarizeRun(
  run: ReturnType<typeof loadRun>,
  bootstrap: { resamples: number; seed: number },
): RunSummary {
  const m = run.manifest;
  return summarizeRecords(
    run.records,
    {
      name: run.name,
      ...(m ? { modelId: m.modelId, n: m.n, sampling: { ...m.sampling }, seed: m.seed } : {}),
      // In runEval's order, so a run re-rendered in its own folder is written byte for byte as it was.
      ...(m?.executionProviders !== undefined ? { executionProviders: m.executionProviders } : {}),
      ...(run.replies ? { replies: true } : {}),
      ...(m ? { planned: plannedOf(m) } : {}),
    },
    {
      bootstrap,
      // maj@k groups answers with the settings the run was graded with.
      ...(m ? { equivalence: m.grade } : {}),
      // As runEval: a replies run's histogram spans its replies, not a budget they were never held to.
      ...(m && !run.replies ? { maxTokens: m.sampling.maxNewTokens } : {}),
    },
  );
}

/**
 * A note when the two runs' samples were generated on different execution providers (run.json's
 * executionProviders): providers round floats differently, so some samples differ for that reason alone.
 */
function providersNote(a: ReturnType<typeof loadRun>, b: ReturnType<typeof loadRun>): string | null {
  const pa = a.manifest?.executionProviders;
  const pb = b.manifest?.executionProviders;
  if (pa === undefined || pb === undefined || JSON.stringify(pa) === JSON.stringify(pb)) return null;
  const show = (p: readonly string[]) => p.join(", then ");
  return `note: A's samples were generated on ${show(pa)} and B's on ${show(pb)}; providers round floats differently, so some samples may differ for that reason as well as the models'`;
}

/**
 * A note naming the settings two compared runs differ in besides the model (prompt, decoding, grading), else
 * null: `compare` paired a greedy run with a sampled one, or runs under two system prompts, without a word, and
 * the difference read as the models' alone. Seeds and n are left out (a paired comparison expects other seeds;
 * pass@1 is comparable across n), and so is the decoding of replies read from files (not known here).
 */
function settingsNote(a: ReturnType<typeof loadRun>, b: ReturnType<typeof loadRun>): string | null {
  const [ma, mb] = [a.manifest, b.manifest];
  if (ma === undefined || mb === undefined) return null;
  const differ: string[] = [];
  const show = (v: unknown): string => (v === undefined ? "unset" : JSON.stringify(v));
  const check = (field: string, va: unknown, vb: unknown): void => {
    const [ja, jb] = [show(va), show(vb)];
    if (ja === jb) return;
    // A prompt is long: its name says enough.
    differ.push(ja.length + jb.length > 60 ? field : `${field} ${ja} vs ${jb}`);
  };
  check("systemPrompt", ma.systemPrompt, mb.systemPrompt);
  check("userTemplate", ma.userTemplate, mb.userTemplate);
  if (!a.replies && !b.replies) {
    const keys = [...new Set([...Object.keys(ma.sampling), ...Object.keys(mb.sampling)])].sort();
    for (const key of keys)
      check(
        `sampling.${key}`,
        ma.sampling[key as keyof SamplingParams],
        mb.sampling[key as keyof SamplingParams],
      );
  }
  check("grade", ma.grade, mb.grade);
  // Two verifier versions may grade the same reply differently (one began grading only after </think>).
  check("verifierVersion", ma.verifierVersion, mb.verifierVersion);
  // Key order aside (`{"a":1,"b":2}` renders as `{"b":2,"a":1}`); none recorded reads "unset".
  const kwargs = (k: ChatTemplateKwargs | undefined): unknown => {
    const key = chatTemplateKwargsKey(k);
    return key === "" ? undefined : JSON.parse(key);
  };
  check("chatTemplateKwargs", kwargs(ma.chatTemplateKwargs), kwargs(mb.chatTemplateKwargs));
  if (differ.length === 0) return null;
  return `note: A and B differ in ${differ.join(", ")}; the difference is not the models' alone`;
}

/** A warning when a run's records do not cover all its problems x n (an interrupted run), else null. */
function incompleteWarning(path: string, run: ReturnType<typeof loadRun>): string | null {
  const m = run.manifest;
  if (!m) return null;
  const expected = m.benchmarks.reduce((s, b) => s + b.problemIds.length * m.n, 0);
  if (run.records.length >= expected) return null;
  return `warning: ${path} is incomplete: ${run.records.length}/${expected} samples (rerun it to finish); the numbers below cover only the samples it has`;
}

/**
 * Runs that share a name (`runs/a/base` and `runs/b/base`, both "base") are named by their paths as given, and
 * the same folder given twice by its position too: the table had two rows nobody could tell apart, and the
 * charts, which find a run's colour and row by its name, drew both in one colour on one spot.
 */
function distinctRunNames(runs: { name: string }[], paths: readonly string[]): void {
  const rename = (label: (name: string, i: number) => string): void => {
    const names = runs.map((r) => r.name);
    runs.forEach((run, i) => {
      if (names.filter((n) => n === run.name).length > 1) run.name = label(run.name, i);
    });
  };
  rename((name, i) => (paths[i] ?? name).replace(/[\\/]+$/, ""));
  rename((name, i) => `${name} (${i + 1})`);
}

function reportCommand(args: string[], io: CliIo): number {
  const { values, positionals, tokens } = parseCommandLine(
    () => parseArgs({ args, options: REPORT_OPTIONS, allowPositionals: true, tokens: true }),
    REPORT_OPTIONS,
    args,
  );
  refuseRepeatedOptions(tokens, REPORT_OPTIONS);
  if (positionals.length === 0) throw new UsageError("report: give one or more run folders");
  const resamples = parseNumber(values.resamples, "--resamples", true, 1);
  // Checked before the runs are read: a folder holding another run is refused before any work.
  const out = reportOutDir(values.out, positionals);
  const runs = positionals.map((path) => {
    const run = loadRun(path);
    const warning = incompleteWarning(path, run);
    if (warning) io.stderr.write(`${warning}\n`);
    return run;
  });
  distinctRunNames(runs, positionals);
  const bootstrap = bootstrapFor(runs, resamples);
  const summaries = runs.map((run) => summarizeRun(run, bootstrap));
  if (out !== undefined) {
    mkdirSync(out, { recursive: true });
    // Re-rendered into its own folder, a run keeps the name its files hold: the folder's name written there
    // was read back as a --name, so the run kept it after its folder was renamed, and the re-render of an
    // unchanged run changed its summary.json, report.md and report.html.
    const [only] = runs;
    const inPlace =
      runs.length === 1 &&
      only !== undefined &&
      resolve(out) === resolve(runFolderOf(positionals[0] as string));
    writeReports(
      out,
      inPlace && only?.storedName !== undefined
        ? summaries.map((s) => ({ ...s, run: { ...s.run, name: only.storedName as string } }))
        : summaries,
    );
  }
  io.stdout.write(summaryMarkdown(summaries));
  return 0;
}

function compareCommand(args: string[], io: CliIo): number {
  const { values, positionals, tokens } = parseCommandLine(
    () => parseArgs({ args, options: REPORT_OPTIONS, allowPositionals: true, tokens: true }),
    REPORT_OPTIONS,
    args,
  );
  refuseRepeatedOptions(tokens, REPORT_OPTIONS);
  if (positionals.length !== 2) throw new UsageError("compare: give exactly two runs, A and B");
  const resamples = parseNumber(values.resamples, "--resamples", true, 1);
  // comparison.* beside a run's own files is fine; a file in the way is said with the flag, before any work.
  if (values.out !== undefined) checkOutFolder(values.out);
  const [a, b] = positionals.map((p) => loadRun(p)) as [
    ReturnType<typeof loadRun>,
    ReturnType<typeof loadRun>,
  ];
  // An interrupted run compares on the samples it has: said, as `report` says it, so a difference is not read
  // as the finished runs' difference.
  positionals.forEach((path, i) => {
    const warning = incompleteWarning(path, i === 0 ? a : b);
    if (warning) io.stderr.write(`${warning}\n`);
  });
  const providers = providersNote(a, b);
  if (providers !== null) io.stderr.write(`${providers}\n`);
  const settings = settingsNote(a, b);
  if (settings !== null) io.stderr.write(`${settings}\n`);
  // Runs called alike (runs/a/base and runs/b/base) are named by their paths as given, as `report` names them:
  // `A:base` / `B:base` said which side each was on, not which run.
  distinctRunNames([a, b], positionals);
  const bootstrap = bootstrapFor([a, b], resamples);
  const cmp = compareRuns(a.records, b.records, { a: a.name, b: b.name }, { bootstrap });
  if (cmp.benchmarks.length === 0) throw new Error("compare: the two runs share no benchmark");
  if (values.out !== undefined) {
    mkdirSync(values.out, { recursive: true });
    const summaries = [a, b].map((r) => summarizeRun(r, bootstrap));
    writeReports(values.out, summaries, cmp);
  }
  io.stdout.write(comparisonMarkdown(cmp));
  return 0;
}

/** `--help` / `-h` among a subcommand's options (not after `--`, where it is a positional). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** The subcommands (`run` is also the default when the first argument is an option). */
const COMMANDS = ["run", "report", "compare", "help"];

export async function main(argv: string[], io: CliIo, modelFactory?: ModelGeneratorFactory): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      io.stdout.write(HELP);
      // No command at all is a usage error (exit 2), as in ssb.
      return first === undefined ? 2 : 0;
    }
    // `report` and `compare` share the one help text; without this their option parser refused `--help`.
    if ((first === "compare" || first === "report") && asksForHelp(rest)) {
      io.stdout.write(HELP);
      return 0;
    }
    // `ssb-eval compar a b` said only "unexpected argument", as if no commands existed.
    const near = /^[a-z]+$/.test(first) ? closestKey(first, COMMANDS) : undefined;
    if (near !== undefined && near !== first)
      throw new UsageError(
        `unknown command "${first}" (did you mean ${near}?); commands: ${COMMANDS.join(", ")}`,
      );
    if (first === "compare") return compareCommand(rest, io);
    if (first === "report") return reportCommand(rest, io);
    if (first === "run") return await runCommand(rest, io, modelFactory);
    return await runCommand(argv, io, modelFactory);
  } catch (error) {
    io.stderr.write(`ssb-eval: ${(error as Error).message}\n`);
    if (error instanceof UsageError) {
      // The error and where to look, not the whole help, which would scroll the error out of sight.
      io.stderr.write(`${usageHint("ssb-eval")}\n`);
      return 2;
    }
    return 1;
  }
}
