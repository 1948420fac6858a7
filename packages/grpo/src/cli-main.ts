/**
 * `ssb-grpo train`: GRPO on a checkpoint and a problems file, or — with neither given — on the embedded
 * default model and fresh problems drawn for it.
 */
import { readFileSync } from "node:fs";
import { createProgressBar, type ProgressBar, UsageError } from "@ssb/cli-kit";
import { defaultModelDir } from "@ssb/default-model";
import { backendFlag, parseFlags, stopOnSignals } from "@ssb/distill";
import { parseJsonObjectFile } from "@ssb/durable-files";
import { parseTemplateDate } from "@ssb/model";
import { answerRulesFlag, EXTRACTION_RULES } from "./answer-rules.js";
import {
  CHAT_TEMPLATE_KWARGS_FLAG,
  chatTemplateKwargsFlag,
  unusedKwargsWarning,
} from "./chat-template-kwargs-flag.js";
import { evaluatePolicy } from "./evaluate-policy.js";
import {
  applyOverride,
  DEFAULT_GRPO_CONFIG,
  type GrpoConfig,
  type GrpoConfigInput,
  resolveGrpoConfig,
} from "./grpo-config.js";
import {
  checkFolderFlag,
  checkModelFlag,
  checkSourceFitsModel,
  loadProblems,
  resolveProblemSource,
} from "./problem-source.js";
import {
  type EvalSettingFlags,
  evalSettingsFromRun,
  readRunEvalSettings,
  runWithoutRecordNote,
} from "./run-eval-settings.js";
import { runGrpo } from "./run-grpo.js";

const DECIMAL = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

export const USAGE = `usage: ssb-grpo train --out DIR [--model DIR] [--problems FILE.jsonl [--limit N] | --fresh N] [--config FILE.json]
                      [--set path=value ...] [--template-date YYYY-MM-DD] [--chat-template-kwargs JSON]
                      [--answer-rules RULE,...] [--system-prompt TEXT | --no-system-prompt] [--resume]
                      [--backend auto|wasm|cpu|tfjs-node|tfjs-node-gpu] [--no-progress]

  --model     base checkpoint (HF layout + tokenizer); default: the embedded default model
  --problems  JSONL with id, question, answer (--limit N: its first N); default: --fresh 2000 problems for
              the default model, disjoint from its training and held-out splits (seed --problem-seed, default 1)
  --config    JSON object with GrpoConfig fields; --set overrides one field (e.g. --set beta=0.04)
  --template-date  the day a chat template that writes today's date (Llama 3.1/3.2-Instruct) renders;
              default: today at the run's first start, recorded for its resumes (config templateDate)
  --chat-template-kwargs  extra chat-template variables for every prompt, a JSON object, e.g.
              '{"enable_thinking": false}' (Qwen3 without thinking); recorded for its resumes (config
              chatTemplateKwargs): a resume without the flag keeps them, one with other kwargs ('{}' too) is refused
  --answer-rules  the verifier's answer extraction rules the reward reads, in order (config reward.rules);
              default boxed; boxed,answer-tag also reads R1-Zero's <answer>42</answer>; part of the run:
              a resume must give the same rules. Rules: ${EXTRACTION_RULES.join(", ")}
  --system-prompt  the system turn of every prompt (config systemPrompt); default curation's math-tutor
              prompt; --no-system-prompt (--set systemPrompt=false): no system turn, the question alone.
              Part of the run: a resume must give the same.

       ssb-grpo eval [--model DIR] [--adapter DIR] [--problems FILE.jsonl [--limit N] | --held-out N | --fresh N]
                     [--n 4] [--seed 0] [--temperature 1] [--max-new-tokens 256] [--template-date YYYY-MM-DD]
                     [--chat-template-kwargs JSON] [--answer-rules RULE,...]
                     [--system-prompt TEXT | --no-system-prompt] [--no-progress]

  mean reward and accuracy of base (+ adapter) over n samples per problem; --held-out takes the default
  model's held-out split (evaluation only; default 200), --fresh draws problems like train does.
  An --adapter of a GRPO run (RUN/adapter, or RUN/checkpoints/step-N/adapter) is evaluated with the run's
  systemPrompt, templateDate, chatTemplateKwargs and reward.rules, read from its checkpoint's
  grpo_state.json (one stderr line says which); a flag below overrides the run's value (a note names both).
  Without a run (a bare PEFT adapter, a distill adapter, no adapter) the defaults are:
  --template-date  the day a date-writing chat template renders; default today
  --chat-template-kwargs  extra chat-template variables, a JSON object; default none
  --answer-rules  the extraction rules the samples are graded with; default boxed
  --system-prompt  the system turn of every prompt; default curation's math-tutor prompt, as train's;
              --no-system-prompt: no system turn, the question alone.
  One problem source: --problems, --held-out and --fresh are alternatives.`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Usage errors are UsageErrors: cli.ts prints one line and where the options are, and exits with 2.
  if (command === undefined) throw new UsageError("a command is required: train or eval");
  if (command === "eval") return runEval(rest);
  if (command !== "train")
    throw new UsageError(`unknown command "${command}" (the commands are train and eval)`);
  // A single-value flag given twice is refused by name (parseArgs alone keeps the last silently).
  const values = parseFlags(
    rest,
    {
      out: { type: "string" },
      model: { type: "string" },
      problems: { type: "string" },
      limit: { type: "string" },
      fresh: { type: "string" },
      "problem-seed": { type: "string" },
      config: { type: "string" },
      set: { type: "string", multiple: true },
      "template-date": { type: "string" },
      "chat-template-kwargs": { type: "string" },
      "answer-rules": { type: "string" },
      "system-prompt": { type: "string" },
      "no-system-prompt": { type: "boolean", default: false },
      resume: { type: "boolean", default: false },
      backend: { type: "string", default: "auto" },
      "no-progress": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    // `--steps 40` (a setting, not a flag) is pointed to `--set steps=VALUE`.
    [...Object.keys(DEFAULT_GRPO_CONFIG), "templateDate", "chatTemplateKwargs"],
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.out)
    throw new UsageError("--out DIR is required (where the adapter, checkpoints and metrics go)");
  const backend = backendFlag(values.backend);
  let input: GrpoConfigInput = {};
  if (values.config) {
    let text: string;
    try {
      text = readFileSync(values.config, "utf8");
    } catch (error) {
      throw new Error(`--config ${values.config}: cannot read (${(error as Error).message})`);
    }
    // An object, checked here: --set overrides below write into it.
    input = parseJsonObjectFile(text, values.config) as GrpoConfigInput;
  }
  for (const s of values.set ?? []) input = applyOverride(input, s);
  if (values["template-date"] !== undefined) {
    templateDateFlag(values["template-date"]);
    input = { ...input, templateDate: values["template-date"] };
  }
  const kwargs = chatTemplateKwargsFlag(values["chat-template-kwargs"]);
  if (kwargs !== undefined) input = { ...input, chatTemplateKwargs: kwargs };
  // Over the config file's reward.rules, as the other flags override its fields.
  const rules = answerRulesFlag(values["answer-rules"]);
  if (rules !== undefined) input = { ...input, reward: { ...input.reward, rules } };
  const systemPrompt = systemPromptFlags(values["system-prompt"], values["no-system-prompt"]);
  if (systemPrompt !== undefined) input = { ...input, systemPrompt };
  // Where the settings came from, named in errors about a field.
  const configSource =
    [values.config, values.set?.length ? "--set" : null].filter((s) => s).join(" with ") || "--set";
  let config: GrpoConfig;
  try {
    config = resolveGrpoConfig(input);
  } catch (error) {
    throw new Error(`${configSource}: ${(error as Error).message}`);
  }
  const source = resolveProblemSource(values, "fresh", wholeNumber);
  if (values.model !== undefined) checkModelFlag(values.model);
  const modelDir = values.model ?? defaultModelDir();
  checkSourceFitsModel(source, modelDir, values.model !== undefined);
  const problems = loadProblems(source, modelDir);
  const warning = await unusedKwargsWarning(
    modelDir,
    config.chatTemplateKwargs,
    kwargs !== undefined ? CHAT_TEMPLATE_KWARGS_FLAG : `${configSource}: "chatTemplateKwargs"`,
  );
  if (warning !== null) process.stderr.write(`${warning}\n`);
  // Ctrl-C (or SIGTERM) stops after the current round with a checkpoint there (exit 130); again quits at once.
  const stop = stopOnSignals("grpo", "round");
  let result: Awaited<ReturnType<typeof runGrpo>>;
  try {
    result = await runGrpo({
      modelDir,
      problems,
      outDir: values.out,
      config,
      resume: values.resume,
      backend,
      progress: !values["no-progress"],
      signal: stop.signal,
      configSource,
    });
  } finally {
    stop.dispose();
  }
  const first = result.metrics[0];
  const last = result.metrics[result.metrics.length - 1];
  process.stdout.write(
    `${JSON.stringify({
      steps: result.steps,
      totalSteps: result.totalSteps,
      resumedFrom: result.resumedFrom,
      adapter: result.adapterDir,
      metrics: result.metricsFile,
      firstRewardMean: first?.rewardMean ?? null,
      lastRewardMean: last?.rewardMean ?? null,
      ...(result.interrupted ? { interrupted: true } : {}),
    })}\n`,
  );
  return result.interrupted ? 130 : 0;
}

/**
 * An integer flag, at least `min`, written as plain digits, and at most 2^53 - 1: past it a number is no
 * longer the integer written (--seed 9007199254740993 would run as 2^53).
 */
function wholeNumber(value: string | undefined, fallback: number, flag: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || n < min || !Number.isSafeInteger(n))
    throw new UsageError(
      `${flag} must be an integer in [${min}, ${Number.MAX_SAFE_INTEGER}] (2^53 - 1), found "${value}"`,
    );
  return n;
}

function positiveNumber(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  // Written as a decimal number: Number() would also read "" and " " as 0 and "0x10" as 16.
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a number >= 0, found "${value}"`);
  return n;
}

/** --template-date as the time a template reads (local noon of that day); a usage error names the flag. */
function templateDateFlag(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTemplateDate(value, "--template-date");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * `--system-prompt TEXT` or `--no-system-prompt` as a systemPrompt (false: no system turn); neither: undefined
 * (train: the config's; eval: the run's, else the math-tutor prompt). Both together are a usage error naming both.
 */
function systemPromptFlags(text: string | undefined, none: boolean): string | false | undefined {
  if (text !== undefined && none)
    throw new UsageError(
      "--system-prompt and --no-system-prompt are alternatives: give one (the run's systemPrompt, or no system turn)",
    );
  return none ? false : text;
}

async function runEval(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    model: { type: "string" },
    adapter: { type: "string" },
    problems: { type: "string" },
    limit: { type: "string" },
    "held-out": { type: "string" },
    fresh: { type: "string" },
    "problem-seed": { type: "string" },
    n: { type: "string" },
    seed: { type: "string" },
    temperature: { type: "string" },
    "max-new-tokens": { type: "string" },
    "template-date": { type: "string" },
    "chat-template-kwargs": { type: "string" },
    "answer-rules": { type: "string" },
    "system-prompt": { type: "string" },
    "no-system-prompt": { type: "boolean", default: false },
    "no-progress": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  templateDateFlag(values["template-date"]);
  const flags: EvalSettingFlags = {
    systemPrompt: systemPromptFlags(values["system-prompt"], values["no-system-prompt"]),
    templateDate: values["template-date"],
    chatTemplateKwargs: chatTemplateKwargsFlag(values["chat-template-kwargs"]),
    rules: answerRulesFlag(values["answer-rules"]),
  };
  const source = resolveProblemSource(values, "held-out", wholeNumber);
  // Every number is checked before the problems are read and the model exported.
  const n = wholeNumber(values.n, 4, "--n", 1);
  const seed = wholeNumber(values.seed, 0, "--seed", 0);
  const sampling = {
    temperature: positiveNumber(values.temperature, 1, "--temperature"),
    maxNewTokens: wholeNumber(values["max-new-tokens"], 256, "--max-new-tokens", 1),
    topK: 0,
    topP: 1,
  };
  if (values.model !== undefined) checkModelFlag(values.model);
  // Before the model is exported for sampling (it used to fail there on nope/adapter_config.json).
  if (values.adapter !== undefined) checkFolderFlag("--adapter", values.adapter, "a PEFT adapter folder");
  // The run the adapter belongs to: its system prompt, template day, kwargs and answer rules, unless a flag
  // gives another (said on stderr, as is what came from the run).
  const run = values.adapter !== undefined ? await readRunEvalSettings(values.adapter) : null;
  const { lines, systemPrompt, templateDate, chatTemplateKwargs, rules, rewardValues } = evalSettingsFromRun(
    run,
    flags,
  );
  // Both checked already: the flag above, the run's by readRunEvalSettings.
  const now = templateDate === undefined ? undefined : parseTemplateDate(templateDate, "--template-date");
  const modelDir = values.model ?? defaultModelDir();
  checkSourceFitsModel(source, modelDir, values.model !== undefined);
  const problems = loadProblems(source, modelDir);
  const orphan =
    values.adapter !== undefined && run === null ? await runWithoutRecordNote(values.adapter) : null;
  for (const line of orphan !== null ? [...lines, orphan] : lines) process.stderr.write(`${line}\n`);
  // The flag's only: the run's kwargs were warned about when it trained, and are no typo to fix here.
  const warning = await unusedKwargsWarning(modelDir, flags.chatTemplateKwargs, CHAT_TEMPLATE_KWARGS_FLAG);
  if (warning !== null) process.stderr.write(`${warning}\n`);
  // A bar over the samples (on stderr; in a log a line now and then): 1,319 problems x n take minutes. Made
  // when sampling starts (onProgress(0)), so a run that fails before, on the adapter say, prints no 0% bar.
  let bar: ProgressBar | null = null;
  const onProgress = (done: number, total: number): void => {
    bar ??= createProgressBar(total, { label: "eval", unit: "samples" });
    bar.update(done);
  };
  let result: Awaited<ReturnType<typeof evaluatePolicy>>;
  try {
    result = await evaluatePolicy({
      modelDir,
      adapterDir: values.adapter ?? null,
      problems,
      n,
      seed,
      sampling,
      ...(now !== undefined ? { now } : {}),
      ...(chatTemplateKwargs !== undefined ? { chatTemplateKwargs } : {}),
      ...(systemPrompt !== undefined ? { systemPrompt } : {}),
      ...(rules !== undefined || rewardValues !== undefined
        ? {
            rewardScheme: { correct: 1, wrong: 0, noAnswer: 0, ...rewardValues, ...(rules ? { rules } : {}) },
          }
        : {}),
      ...(values["no-progress"] ? {} : { onProgress }),
    });
  } finally {
    // The cast: TypeScript narrows `bar` to null here, not seeing onProgress assign it.
    (bar as ProgressBar | null)?.finish();
  }
  const { correctPerProblem: _perProblem, ...summary } = result;
  process.stdout.write(`${JSON.stringify({ problems: problems.length, ...summary })}\n`);
  return 0;
}
