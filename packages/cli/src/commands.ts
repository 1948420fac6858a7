/**
 * The per-stage subcommands. Each is a thin layer over a package's public API (or its exported CLI):
 * `rollout` is @ssb/rollout's own CLI; the others parse flags and call the same stage functions `ssb run` uses.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { checkPath, type ProgressBar } from "@ssb/cli-kit";
import { readProblemsFile } from "@ssb/curation";
import { resolveTrainConfig, runTraining, type TrainConfig, type TrainConfigInput } from "@ssb/distill";
import { writeFileAtomic } from "@ssb/durable-files";
import {
  type ChatTemplateKwargs,
  describeExportResult,
  type ExportOnnxOptions,
  type ExportOnnxResult,
  exportOnnx,
  exportOutRefusal,
  GENAI_CONFIG_FILE,
  parseChatTemplateKwargs,
  parseTemplateDate,
} from "@ssb/model";
import { type CliIo as RolloutCliIo, runCli as runRolloutCli } from "@ssb/rollout";
import { runCli as runVerifyCli, verifyHelp } from "@ssb/verifier";
import {
  type CliOptions,
  numberFlag,
  parseCommandLine,
  refuseRepeatedOptions,
  UsageError,
} from "./cli-args.js";
import { distillIssues } from "./config-distill.js";
import type { PipelineConfig } from "./config-schema.js";
import { type ConfigSource, describeIssues, type FieldPath, unwrittenSource } from "./config-source.js";
import { DEFAULT_CONFIG } from "./default-config.js";
import { ConfigError, deepMerge, loadConfig, readConfigFile, resolveConfig } from "./load-config.js";
import { ensureOnnxExport, resolveModelDir } from "./model-files.js";
import { checkOutputAgainstInputs, type NamedPath } from "./output-paths.js";
import { type Reporter, warnLine } from "./reporter.js";
import { runCurateStage } from "./stage-curate.js";
import { runEvalStage } from "./stage-eval.js";
import { problemsJsonl } from "./stage-problems.js";
import { curateTemplateDay } from "./template-day.js";
import { curateTemplateKwargs } from "./template-kwargs.js";

export { UsageError };

export interface CommandIo {
  stdout: (text: string) => void;
  reporter: Reporter;
}

function need(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** A path flag checked before anything loads: cli-kit's checkPath, named with its flag. */
function pathFlag(flag: string, file: string, kind: "file" | "folder"): string {
  return checkPath(file, kind, { flag: `--${flag}` });
}

/** A --config file's parsed contents (JSON or YAML), and where its fields are written. */
function readConfigFlag(file: string): { value: unknown; source: ConfigSource } {
  return readConfigFile(pathFlag("config", file, "file"));
}

function hasValueAt(root: unknown, path: FieldPath): boolean {
  let v = root;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return false;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v !== undefined;
}

/**
 * A config from an optional --config file with flag overrides merged on top (validated as a whole). `flags`
 * names the flag of each overridden field (dotted path -> flag): the flags' values are checked alone first, so
 * a bad one is a usage error named by its flag (`--samples 0: ...`), not by a config field.
 */
function configWith(
  file: string | undefined,
  overrides: Record<string, unknown>,
  flags: Readonly<Record<string, string>>,
): PipelineConfig {
  const label = (path: FieldPath): string | undefined =>
    hasValueAt(overrides, path) ? flags[path.join(".")] : undefined;
  let fromFlags: PipelineConfig;
  try {
    fromFlags = resolveConfig(overrides, { ...unwrittenSource("flags"), label });
  } catch (error) {
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
  if (file === undefined) return fromFlags;
  const { value, source } = readConfigFlag(file);
  // A value a flag replaced is not the one the file wrote: its error names the flag, with no line.
  const located: ConfigSource = {
    name: source.name,
    at: (path, part) => (hasValueAt(overrides, path) ? undefined : source.at(path, part)),
    label,
  };
  return resolveConfig(deepMerge(value, overrides), located);
}

/** Refuse an --out that is, or would write over, one of the command's inputs (before anything is written). */
function checkOut(out: string, writes: readonly string[], inputs: readonly (NamedPath | null)[]): void {
  checkOutputAgainstInputs(
    { label: "--out", path: out, writes },
    inputs.filter((i): i is NamedPath => i !== null),
  );
}

const flagPath = (
  values: Record<string, unknown>,
  flag: string,
  kind: NamedPath["kind"],
  given = values[flag],
): NamedPath | null => (typeof given === "string" ? { label: `--${flag}`, path: given, kind } : null);

const drop = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const t = DEFAULT_CONFIG.curation.teacher;

export const CURATE_USAGE = `Usage: ssb curate --model DIR --problems FILE --rollouts FILE --out DIR [options]

Grade rollouts, pick a correct and a majority-wrong answer per problem, and generate the teacher's reply with
top-k logit capture (@ssb/curation + @ssb/rollout). Resumable: rerun the same command to continue.

  --model DIR          ONNX folder (ssb export-onnx) of the teacher (the base model)
  --problems FILE      JSONL {id, question, answer}
  --rollouts FILE      rollouts JSONL (ssb rollout)
  --out DIR            pairs.jsonl, dropped.jsonl, teacher-prompts.jsonl, logits/, summary.json
  --config FILE        take the curation section (and seed, chatTemplateKwargs) from an ssb run config

Settings (defaults: ssb run's, so that this command over an ssb run's files makes its curate stage's outputs;
ssb-curate, the package's own command, starts from seed 0 and leaves the reply cap to the generator, 256
tokens for ssb-rollout --teacher-prompts):
  --seed N             ${DEFAULT_CONFIG.seed}
  --temperature T      ${t.temperature} (the teacher's)
  --top-k K            ${t.topK}
  --max-new-tokens N   ${t.maxNewTokens} (tokens per teacher reply)
  --logit-k K          ${DEFAULT_CONFIG.curation.logitK} (top-k logits stored per teacher token)
  --max-attempts N     ${DEFAULT_CONFIG.curation.maxAttempts} (teacher tries per problem)
  --logit-zstd         ZSTD-compress the logit shards (27-49% smaller, same values; config: logitCompression)
  --answer-rules LIST  the verifier's extraction rules the rollouts and teacher replies are graded with, in order
                       (default boxed; boxed,answer-tag for R1-Zero <answer> blocks; config: answerRules)

The student's messages (pairs.jsonl) are the system prompt of ssb run's rollouts + the bare question; for rollouts
sampled with another one (ssb-rollout --system / --no-system), say which:
  --student-system-file FILE   that system prompt (the file's last line break is not part of it)
  --no-student-system          no system prompt

A teacher template that writes the date (Llama 3.1 / 3.2-Instruct) renders one day for the whole output:
  --template-date YYYY-MM-DD   that day (default: the one run.json pinned with the teacher, else today)

Extra chat-template variables for the teacher's prompts (config: chatTemplateKwargs), e.g. Qwen3 without thinking:
  --chat-template-kwargs JSON  '{"enable_thinking": false}' (replaces the --config file's)
`;

/** What `ssb curate` writes in --out (@ssb/curation's files, its lock and the logit store). */
const CURATE_WRITES = [
  "pairs.jsonl",
  "dropped.jsonl",
  "teacher-prompts.jsonl",
  "summary.json",
  "run.json",
  "curation.lock",
  "logits",
];

const CURATE_OPTIONS = {
  model: { type: "string" },
  problems: { type: "string" },
  rollouts: { type: "string" },
  out: { type: "string" },
  config: { type: "string" },
  seed: { type: "string" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "max-new-tokens": { type: "string" },
  "logit-k": { type: "string" },
  "max-attempts": { type: "string" },
  "logit-zstd": { type: "boolean" },
  "student-system-file": { type: "string" },
  "no-student-system": { type: "boolean" },
  "template-date": { type: "string" },
  "chat-template-kwargs": { type: "string" },
  "answer-rules": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

/** The student system prompt `ssb curate` was told (undefined: @ssb/curation's default, ssb run's rollouts'). */
function studentSystemPrompt(values: Record<string, unknown>): string | null | undefined {
  const file = values["student-system-file"];
  if (file !== undefined && values["no-student-system"])
    throw new UsageError("give --student-system-file FILE or --no-student-system, not both");
  if (values["no-student-system"]) return null;
  if (typeof file !== "string") return undefined;
  checkPath(file, "file", { flag: "--student-system-file" });
  // A text file's last line break is not part of the prompt: ssb-rollout --system "$(cat FILE)" has none.
  return readFileSync(file, "utf8").replace(/\r?\n$/, "");
}

/**
 * --chat-template-kwargs, a JSON object of extra chat-template variables (a usage error names the flag); it
 * replaces the --config file's chatTemplateKwargs as a whole. `{}` is kept as given: an explicit none, which a
 * fresh job records as nothing and a resume of kwargs-rendered work refuses (the stage packages decide, as
 * ssb-rollout, ssb-distill, ssb-eval and ssb-grpo do for their own flag), where leaving the flag out resumes
 * with the recorded kwargs.
 */
function kwargsFlag(values: Record<string, unknown>): { chatTemplateKwargs: ChatTemplateKwargs } | null {
  const text = values["chat-template-kwargs"];
  if (typeof text !== "string") return null;
  try {
    return { chatTemplateKwargs: parseChatTemplateKwargs(text, "--chat-template-kwargs") };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The config with --chat-template-kwargs (`kwargsFlag`'s result) in place of its own, when given. */
function withKwargsFlag<T extends { chatTemplateKwargs?: ChatTemplateKwargs }>(
  config: T,
  flag: { chatTemplateKwargs?: ChatTemplateKwargs } | null,
): T {
  if (flag === null) return config;
  const { chatTemplateKwargs: _, ...rest } = config;
  return { ...rest, ...flag } as T;
}

/** --template-date, checked as a day (a usage error names the flag). */
function templateDateFlag(values: Record<string, unknown>): string | undefined {
  const day = values["template-date"];
  if (typeof day !== "string") return undefined;
  try {
    parseTemplateDate(day, "--template-date");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return day;
}

export async function curateCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, tokens: true, options: CURATE_OPTIONS }),
    CURATE_OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, CURATE_OPTIONS);
  if (values.help) {
    io.stdout(CURATE_USAGE);
    return 0;
  }
  const templateDate = templateDateFlag(values);
  const kwargs = kwargsFlag(values);
  const config = configWith(
    values.config,
    drop({
      seed: numberFlag(values, "seed"),
      curation: drop({
        teacher: drop({
          temperature: numberFlag(values, "temperature"),
          topK: numberFlag(values, "top-k"),
          maxNewTokens: numberFlag(values, "max-new-tokens"),
        }),
        logitK: numberFlag(values, "logit-k"),
        maxAttempts: numberFlag(values, "max-attempts"),
        logitCompression: values["logit-zstd"] ? "zstd" : undefined,
        answerRules:
          typeof values["answer-rules"] === "string"
            ? values["answer-rules"].split(",").map((rule) => rule.trim())
            : undefined,
      }),
    }),
    {
      seed: "--seed",
      "curation.teacher.temperature": "--temperature",
      "curation.teacher.topK": "--top-k",
      "curation.teacher.maxNewTokens": "--max-new-tokens",
      "curation.logitK": "--logit-k",
      "curation.maxAttempts": "--max-attempts",
      "curation.logitCompression": "--logit-zstd",
      "curation.answerRules": "--answer-rules",
    },
  );
  const out = need(values, "out");
  checkOut(out, CURATE_WRITES, [
    flagPath(values, "model", "folder", need(values, "model")),
    flagPath(values, "problems", "file", need(values, "problems")),
    flagPath(values, "rollouts", "file", need(values, "rollouts")),
    flagPath(values, "config", "file"),
    flagPath(values, "student-system-file", "file"),
  ]);
  const day = curateTemplateDay(out, need(values, "model"), templateDate);
  const stats = await runCurateStage({
    config: curateTemplateKwargs(
      out,
      withKwargsFlag(day === undefined ? config : { ...config, templateDate: day }, kwargs),
    ),
    studentSystemPrompt: studentSystemPrompt(values),
    onnxDir: need(values, "model"),
    trainFile: need(values, "problems"),
    rolloutsFile: need(values, "rollouts"),
    dir: out,
    reporter: io.reporter,
  });
  io.stdout(`${JSON.stringify(stats, null, 2)}\n`);
  return 0;
}

const d = DEFAULT_CONFIG.distill as { epochs: number; batchSize: number; optimizer: { lr: number } };

export const DISTILL_USAGE = `Usage: ssb distill --model DIR --pairs FILE --logits DIR --out DIR [options]

Train a LoRA student with a KL to the teacher's stored top-k logits (@ssb/distill). Resumable from the
checkpoints in --out.

  --model DIR      base checkpoint (HF layout: config.json, safetensors, tokenizer.json)
  --pairs FILE     pairs.jsonl (ssb curate)
  --logits DIR     the logit store (ssb curate's logits/)
  --out DIR        adapter/ (PEFT layout), metrics.jsonl, loss.svg, checkpoints/
  --config FILE    @ssb/distill training settings (JSON or YAML; the fields of an ssb run config's distill section)
  --chat-template-kwargs JSON   extra chat-template variables for the student's prompts, e.g.
                   '{"enable_thinking": false}' (replaces the --config file's chatTemplateKwargs)

Settings (defaults: ssb run's distill section, over @ssb/distill's own):
  --epochs N       ${d.epochs}
  --lr X           ${d.optimizer.lr}
  --batch-size N   ${d.batchSize}
  --seed N         ${DEFAULT_CONFIG.seed} (ssb run's, as its distill stage seeds the trainer)
`;

/** What @ssb/distill writes in --out. */
const DISTILL_WRITES = ["adapter", "model", "checkpoints", "metrics.jsonl", "loss.svg", "train.lock"];

const DISTILL_OPTIONS = {
  model: { type: "string" },
  pairs: { type: "string" },
  logits: { type: "string" },
  out: { type: "string" },
  config: { type: "string" },
  epochs: { type: "string" },
  lr: { type: "string" },
  "batch-size": { type: "string" },
  seed: { type: "string" },
  "chat-template-kwargs": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

/** `ssb distill`'s training settings: ssb run's distill section, then the --config file, then the flags. */
export function distillSettings(values: Record<string, unknown>): TrainConfig {
  const file = typeof values.config === "string" ? readConfigFlag(values.config) : null;
  const fromFile = file?.value ?? {};
  // The file's problems, all of them, each with its line (@ssb/distill's own check stops at the first, and
  // would show NaN for a `.nan` the file wrote).
  const issues = file ? distillIssues(file.value, []) : [];
  if (file && issues.length > 0) throw new ConfigError(describeIssues(issues, file.source));
  const lr = numberFlag(values, "lr");
  const flags = drop({
    epochs: numberFlag(values, "epochs"),
    batchSize: numberFlag(values, "batch-size"),
    seed: numberFlag(values, "seed"),
    optimizer: lr === undefined ? undefined : { lr },
  });
  // The flags' values alone first: a bad one is a usage error named by its flag.
  const names: Record<string, string> = {
    epochs: "--epochs",
    batchSize: "--batch-size",
    seed: "--seed",
    "optimizer.lr": "--lr",
  };
  const flagIssues = distillIssues(flags, []);
  if (flagIssues.length > 0) {
    const label = (path: FieldPath): string | undefined => names[path.join(".")];
    throw new UsageError(describeIssues(flagIssues, { ...unwrittenSource("flags"), label }));
  }
  const input = deepMerge(
    // ssb run's distill section, seeded as its distill stage seeds the trainer (with the run's seed), so this
    // command over a run's pairs and logits trains the stage's adapter; @ssb/distill's own default seed is 0.
    deepMerge({ seed: DEFAULT_CONFIG.seed, ...loadConfig().config.distill }, fromFile),
    flags,
  ) as TrainConfigInput;
  const config = resolveTrainConfig(
    withKwargsFlag(input, kwargsFlag(values)),
    file?.source.name ?? "distill settings",
  );
  return config;
}

export async function distillCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, tokens: true, options: DISTILL_OPTIONS }),
    DISTILL_OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, DISTILL_OPTIONS);
  if (values.help) {
    io.stdout(DISTILL_USAGE);
    return 0;
  }
  const config = distillSettings(values);
  const modelDir = resolveModelDir(need(values, "model"));
  const dataFile = pathFlag("pairs", need(values, "pairs"), "file");
  const logitsDir = pathFlag("logits", need(values, "logits"), "folder");
  const outDir = need(values, "out");
  checkOut(outDir, DISTILL_WRITES, [
    flagPath(values, "model", "folder", modelDir),
    flagPath(values, "pairs", "file", dataFile),
    flagPath(values, "logits", "folder", logitsDir),
    flagPath(values, "config", "file"),
  ]);
  const result = await runTraining({
    modelDir,
    dataFile,
    logitsDir,
    outDir,
    config,
    resume: true,
    log: (line) => io.reporter.info(line),
  });
  io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

const e = DEFAULT_CONFIG.eval;

export const EVAL_USAGE = `Usage: ssb eval --model DIR --problems FILE --out DIR [options]

Evaluate a model (optionally base + a LoRA adapter, merged and exported) on a JSONL of {id, question, answer};
with --adapter the base model is evaluated too and the two are compared (paired bootstrap CI, McNemar).
Resumable (@ssb/eval).

  --model DIR          HF checkpoint folder ("default" = the embedded model)
  --adapter DIR        PEFT adapter (ssb distill's adapter/)
  --problems FILE      held-out problems, JSONL {id, question, answer}; GSM8K's own lines as they are
                       (no id: the line number; the gold after the answer's ####), as ssb run reads them
  --out DIR            problems.jsonl (the problems as read), base/, student/ (records.jsonl,
                       summary.json), comparison.{json,md,html}
  --config FILE        take the eval section (and seed, chatTemplateKwargs) from an ssb run config
  --chat-template-kwargs JSON   extra chat-template variables, e.g. '{"enable_thinking": false}' for Qwen3
                       without thinking (replaces the --config file's)

Settings (defaults: ssb run's):
  --samples N          ${e.samples} (per problem)
  --temperature T      ${e.temperature} (0: greedy)
  --max-new-tokens N   ${e.maxNewTokens}
  --seed N             ${DEFAULT_CONFIG.seed}
`;

/** What `ssb eval` writes in --out: the exports (and their partial folders), both runs, the comparison. */
const EVAL_WRITES = [
  "problems.jsonl",
  "base-onnx",
  "base-onnx.partial",
  "student-onnx",
  "student-onnx.partial",
  "base",
  "student",
  "comparison.json",
  "comparison.md",
  "comparison.html",
  "outcome.json",
];

const EVAL_OPTIONS = {
  model: { type: "string" },
  adapter: { type: "string" },
  problems: { type: "string" },
  out: { type: "string" },
  samples: { type: "string" },
  temperature: { type: "string" },
  "max-new-tokens": { type: "string" },
  seed: { type: "string" },
  config: { type: "string" },
  "chat-template-kwargs": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

export async function evalCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, tokens: true, options: EVAL_OPTIONS }),
    EVAL_OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, EVAL_OPTIONS);
  if (values.help) {
    io.stdout(EVAL_USAGE);
    return 0;
  }
  const fileConfig = configWith(
    values.config,
    drop({
      seed: numberFlag(values, "seed"),
      eval: drop({
        samples: numberFlag(values, "samples"),
        temperature: numberFlag(values, "temperature"),
        maxNewTokens: numberFlag(values, "max-new-tokens"),
      }),
    }),
    {
      seed: "--seed",
      "eval.samples": "--samples",
      "eval.temperature": "--temperature",
      "eval.maxNewTokens": "--max-new-tokens",
    },
  );
  const config = withKwargsFlag(fileConfig, kwargsFlag(values));
  const modelDir = resolveModelDir(need(values, "model"));
  const out = need(values, "out");
  // Checked before the export writes into --out.
  const adapterDir = values.adapter === undefined ? null : pathFlag("adapter", values.adapter, "folder");
  const evalFile = pathFlag("problems", need(values, "problems"), "file");
  checkOut(out, EVAL_WRITES, [
    flagPath(values, "model", "folder", modelDir),
    flagPath(values, "adapter", "folder"),
    flagPath(values, "problems", "file"),
    flagPath(values, "config", "file"),
  ]);
  // Read as ssb run reads problems.evalFile (@ssb/curation's reader: GSM8K's own lines get their line number
  // as id and the gold after ####) and written as {id, question, answer}, which @ssb/eval's held-out spec
  // takes as written: given the file itself, a GSM8K line was refused for its missing id, and with ids the
  // whole solution ("... #### 18") was the gold, so no answer could be graded right. Read before the export,
  // so a bad file is named before anything is written.
  const problems = await readProblemsFile(evalFile);
  const heldOutFile = path.join(out, "problems.jsonl");
  const heldOut = problemsJsonl(problems);
  // Another file's problems there belong to the runs beside them: refused before anything is replaced.
  if (existsSync(heldOutFile) && readFileSync(heldOutFile, "utf8") !== heldOut) {
    throw new Error(
      `${heldOutFile}: --out holds an evaluation of other problems than --problems ${evalFile} (edited since, or another file); use a new --out, or remove ${out} to start over`,
    );
  }
  const baseOnnx = await ensureOnnxExport({
    modelDir,
    outDir: path.join(out, "base-onnx"),
    variant: config.onnxVariant,
  });
  mkdirSync(out, { recursive: true });
  writeFileAtomic(heldOutFile, heldOut);
  const outcome = await runEvalStage({
    config,
    modelDir,
    baseOnnxDir: baseOnnx,
    adapterDir,
    evalFile: heldOutFile,
    dir: out,
    reporter: io.reporter,
  });
  io.stdout(
    `${JSON.stringify(
      // Without --adapter only the base model is evaluated: its summary, as there is no comparison.
      outcome.comparison?.benchmarks.map(({ perProblem: _, ...b }) => b) ?? outcome.base.benchmarks,
      null,
      2,
    )}\n`,
  );
  return 0;
}

/** `ssb verify --help`: @ssb/verifier's own command line, which `ssb verify` runs. */
export const VERIFY_USAGE = verifyHelp("ssb verify");

/** Where `ssb verify` writes: the caller's stdout function as a stream, its stderr as given. */
export interface VerifyIo {
  stdout: (text: string) => void;
  stderr: { write(text: string): unknown };
}

/**
 * `ssb verify`: ssb-verify's command line (@ssb/verifier's runCli) under this name, so both take the same
 * options and read files the same way (int64 ids kept digit for digit, UTF-16 and pretty-printed JSON refused
 * as a whole, repeated errors summarised, an empty file an error).
 */
export async function verifyCommand(argv: string[], io: VerifyIo): Promise<number> {
  const stdout = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      io.stdout(chunk.toString());
      done();
    },
  });
  return runVerifyCli(argv, { stdin: process.stdin, stdout, stderr: io.stderr }, "ssb verify");
}

export const EXPORT_USAGE = `Usage: ssb export-onnx --model DIR --out DIR [options]

Export a Hugging Face checkpoint (optionally with a PEFT LoRA adapter merged) to an ONNX decoder-with-past
(@ssb/model, as its ssb-export-onnx), ready for ssb rollout / ONNX Runtime. Progress and a summary go to
stderr; stdout gets one JSON object: the files written with their sizes, layers, variant, node count.

Options:
  --model DIR          checkpoint folder (config.json + model.safetensors or sharded index), or "default"
  --out DIR            output folder: model.onnx (+ model.onnx.data), config and tokenizer files
  --adapter DIR        PEFT LoRA adapter to merge into the weights before export
  --variant V          plain (standard ONNX ops; default) or contrib (ONNX Runtime fused kernels; faster on CPU)
  --dtype f32          weight type in the graph (only f32 today)
  --external-data M    auto (default: external above 1.8 GB), always, or never
  --weights FILE       a safetensors file inside --model to read instead of the default
  -h, --help           show this help
`;

const EXPORT_OPTIONS = {
  model: { type: "string" },
  out: { type: "string" },
  adapter: { type: "string" },
  variant: { type: "string" },
  dtype: { type: "string" },
  "external-data": { type: "string" },
  weights: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

const EXTERNAL_DATA = { auto: "auto", always: true, never: false } as const;

export async function exportCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, tokens: true, options: EXPORT_OPTIONS }),
    EXPORT_OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, EXPORT_OPTIONS);
  if (values.help) {
    io.stdout(EXPORT_USAGE);
    return 0;
  }
  const variant = values.variant ?? "plain";
  if (variant !== "plain" && variant !== "contrib")
    throw new UsageError(`--variant: plain or contrib, got "${variant}"`);
  const dtype = values.dtype ?? "f32";
  if (dtype !== "f32") throw new UsageError(`--dtype: only f32 is supported, got "${dtype}"`);
  const externalFlag = values["external-data"] ?? "auto";
  if (!Object.hasOwn(EXTERNAL_DATA, externalFlag))
    throw new UsageError(`--external-data: auto, always or never, got "${externalFlag}"`);
  const externalData = EXTERNAL_DATA[externalFlag as keyof typeof EXTERNAL_DATA];
  const modelDir = resolveModelDir(need(values, "model"));
  const outDir = need(values, "out");
  const adapterDir = values.adapter === undefined ? undefined : pathFlag("adapter", values.adapter, "folder");
  const options: ExportOnnxOptions = { modelDir, outDir, variant, dtype, externalData };
  if (adapterDir) options.adapterDir = adapterDir;
  if (values.weights !== undefined) options.weightsFile = values.weights;
  const reporter = io.reporter;
  // A large checkpoint takes minutes; the bar says the weights are moving (as ssb-export-onnx's lines do).
  // Started at the first weight, so that a refused --out stays the one line that says why.
  let bar: ProgressBar | undefined;
  options.onProgress = (done, total) => {
    if (bar === undefined) {
      reporter.info(`export-onnx: ${modelDir}${adapterDir ? ` + adapter ${adapterDir}` : ""} -> ${outDir}`);
      bar = reporter.bar("export", total);
    }
    bar.update(done, ["weights"]);
  };
  options.warn = (message) => warnLine(reporter, `export-onnx: ${message}`);
  let result: ExportOnnxResult;
  try {
    result = await exportOnnx(options);
  } catch (error) {
    throw exportError(error);
  } finally {
    bar?.finish();
  }
  // ssb-export-onnx's summary lines (on stderr here: stdout holds the JSON).
  for (const line of describeExportResult(result, { fileNames: true })) reporter.info(line);
  io.stdout(`${JSON.stringify(exportSummary(result), null, 2)}\n`);
  return 0;
}

/** What `ssb export-onnx` prints on stdout: every file written, by name, with its size. */
export interface ExportSummary {
  files: { name: string; bytes: number }[];
  architecture: string;
  layers: number;
  variant: string;
  nodes: number;
  initializers: number;
  /** Files an earlier export into --out left that this one did not write (removed). */
  removed: string[];
  seconds: number;
}

export function exportSummary(result: ExportOnnxResult): ExportSummary {
  const outDir = path.dirname(result.modelFile);
  const files = [{ name: path.basename(result.modelFile), bytes: result.modelBytes }];
  if (result.dataFile) files.push({ name: path.basename(result.dataFile), bytes: result.dataBytes });
  // Written by every export (ONNX Runtime GenAI's settings), though not among result.copied.
  if (existsSync(path.join(outDir, GENAI_CONFIG_FILE)))
    files.push({ name: GENAI_CONFIG_FILE, bytes: fileBytes(path.join(outDir, GENAI_CONFIG_FILE)) });
  for (const name of result.copied) files.push({ name, bytes: fileBytes(path.join(outDir, name)) });
  return {
    files,
    architecture: result.config.architecture,
    layers: result.config.numLayers,
    variant: result.variant,
    nodes: result.nodeCount,
    initializers: result.initializerCount,
    removed: result.removed,
    seconds: Math.round(result.seconds * 10) / 10,
  };
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** @ssb/model's refusals of an --out, in its words: a usage error (exit 2) or a failure (exit 1). */
function exportError(error: unknown): unknown {
  const refusal = exportOutRefusal(error);
  if (refusal === null) return error;
  return refusal.usage ? new UsageError(refusal.message) : new Error(refusal.message);
}

/** `ssb rollout`: @ssb/rollout's own CLI, under this command's name (its messages and help say `ssb rollout`). */
export function rolloutCommand(argv: string[], io?: RolloutCliIo): Promise<number> {
  return runRolloutCli(argv, io, "ssb rollout");
}
