/**
 * The settings a GRPO run rendered its prompts and graded its rewards with, read back from the run an adapter
 * belongs to, so `ssb-grpo eval --adapter <run>/adapter` samples and grades as the run trained: an R1-Zero run
 * evaluated with the math-tutor prompt and boxed-only rules scores about 0. evaluatePolicy itself stays
 * explicit; the CLI calls readRunEvalSettings and says which settings it took (evalSettingsFromRun).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import { parseJsonObjectFile } from "@ssb/durable-files";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  parseTemplateDate,
  sameChatTemplateKwargs,
} from "@ssb/model";
import { checkAnswerRules, DEFAULT_ANSWER_RULES, type ExtractionRule } from "./answer-rules.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";

/** What evaluating a run's adapter on the run's own prompts and grading takes from its recorded config. */
export interface RunEvalSettings {
  /** The checkpoint state file (`grpo_state.json`) the settings were read from. */
  file: string;
  /** The run's systemPrompt: a string; null = curation's math-tutor prompt; false = no system turn. */
  systemPrompt: string | null | false;
  /** The day a date-reading chat template rendered ("YYYY-MM-DD"), when the run recorded one. */
  templateDate?: string;
  /** The run's chat template kwargs, when it recorded any. */
  chatTemplateKwargs?: ChatTemplateKwargs;
  /** The answer rules its rewards were graded with (the default, boxed only, when it recorded none). */
  rules: readonly ExtractionRule[];
  /** The reward of each verdict (reward.correct / wrong / noAnswer; 1 / 0 / 0 unless the run set others). */
  rewardValues: RewardValues;
}

/** The reward a correct, a wrong and an unanswered (or cut-off) reply gets. */
export interface RewardValues {
  correct: number;
  wrong: number;
  noAnswer: number;
}

const DEFAULT_REWARD_VALUES: RewardValues = { correct: 1, wrong: 0, noAnswer: 0 };

const STEP_DIR = /^step-\d+$/;

/**
 * The state file of the GRPO run `adapterDir` belongs to, or null: a checkpoint's adapter
 * (`<run>/checkpoints/step-N/adapter`) has it beside it; the run's final adapter (`<run>/adapter`) takes the
 * newest checkpoint's, which runGrpo writes at the last round with the same config. A bare PEFT adapter, or a
 * KD/SFT run's (`trainer_state.json`), has none.
 */
async function runStateFile(adapterDir: string): Promise<string | null> {
  const parent = path.dirname(path.resolve(adapterDir));
  const beside = path.join(parent, GRPO_STATE_FILE);
  if (existsSync(beside)) return beside;
  const root = path.join(parent, "checkpoints");
  if (!existsSync(root)) return null;
  const steps = (await readdir(root)).filter((n) => STEP_DIR.test(n)).sort();
  for (const name of steps.reverse()) {
    const file = path.join(root, name, GRPO_STATE_FILE);
    // A step folder without it is a checkpoint whose pruning a kill cut short (or another trainer's).
    if (existsSync(file)) return file;
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The recorded settings of the GRPO run `adapterDir` belongs to (see runStateFile), or null for an adapter
 * without one. A damaged state file or field is an error naming the file and the field.
 */
export async function readRunEvalSettings(adapterDir: string): Promise<RunEvalSettings | null> {
  const file = await runStateFile(adapterDir);
  if (file === null) return null;
  const state = parseJsonObjectFile(await readFile(file, "utf8"), file);
  const bad = (field: string, expected: string, value: unknown): Error =>
    new Error(`${file}: "${field}" must be ${expected}, found ${JSON.stringify(value) ?? String(value)}`);
  const config = state.config;
  if (!isObject(config)) throw bad("config", "an object (the run's GRPO settings)", config);
  const systemPrompt = config.systemPrompt ?? null;
  if (systemPrompt !== null && systemPrompt !== false && typeof systemPrompt !== "string")
    throw bad("config.systemPrompt", "a string, null or false", systemPrompt);
  const settings: RunEvalSettings = {
    file,
    systemPrompt,
    rules: DEFAULT_ANSWER_RULES,
    rewardValues: { ...DEFAULT_REWARD_VALUES },
  };
  if (config.templateDate !== undefined) {
    if (typeof config.templateDate !== "string")
      throw bad("config.templateDate", 'a date as "YYYY-MM-DD"', config.templateDate);
    parseTemplateDate(config.templateDate, `${file}: "config.templateDate"`);
    settings.templateDate = config.templateDate;
  }
  if (config.chatTemplateKwargs !== undefined) {
    const kwargs = checkChatTemplateKwargs(config.chatTemplateKwargs, `${file}: "config.chatTemplateKwargs"`);
    if (chatTemplateKwargsKey(kwargs) !== "") settings.chatTemplateKwargs = kwargs;
  }
  const reward = config.reward;
  if (reward !== undefined && !isObject(reward)) throw bad("config.reward", "an object", reward);
  if (reward?.rules !== undefined)
    settings.rules = checkAnswerRules(reward.rules, `${file}: "config.reward.rules"`);
  for (const key of ["correct", "wrong", "noAnswer"] as const) {
    const value = reward?.[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value))
      throw bad(`config.reward.${key}`, "a finite number", value);
    settings.rewardValues[key] = value;
  }
  return settings;
}

/**
 * For an adapter without a recorded run (readRunEvalSettings gave null): a note when its folder is nonetheless a
 * GRPO run's (a metrics.jsonl whose first record has rewardMean) whose checkpoints were removed, so nothing
 * says which prompts and rules it trained with; null otherwise (a bare PEFT adapter, a KD/SFT run's).
 */
export async function runWithoutRecordNote(adapterDir: string): Promise<string | null> {
  const run = path.dirname(path.resolve(adapterDir));
  const metrics = path.join(run, "metrics.jsonl");
  if (!existsSync(metrics)) return null;
  const first = (await readFile(metrics, "utf8")).split("\n", 1)[0] ?? "";
  let record: unknown;
  try {
    record = JSON.parse(first);
  } catch {
    return null;
  }
  if (!isObject(record) || !("rewardMean" in record)) return null;
  return `ssb-grpo: note: ${run} is a GRPO run without a checkpoint (checkpoints/step-N/${GRPO_STATE_FILE}) to read its systemPrompt, templateDate, chatTemplateKwargs and reward.rules from; evaluating with the flags and defaults`;
}

/** The settings `ssb-grpo eval` was given as flags (undefined: not given). */
export interface EvalSettingFlags {
  /** --system-prompt TEXT, or false for --no-system-prompt. */
  systemPrompt?: string | false;
  /** --template-date. */
  templateDate?: string;
  /** --chat-template-kwargs (`{}` given is an explicit none). */
  chatTemplateKwargs?: ChatTemplateKwargs;
  /** --answer-rules. */
  rules?: readonly ExtractionRule[];
}

/** What eval runs with: each setting the flag's, else the run's, else unset (evaluatePolicy's default). */
export interface ResolvedEvalSettings {
  systemPrompt?: string | false;
  templateDate?: string;
  chatTemplateKwargs?: ChatTemplateKwargs;
  rules?: readonly ExtractionRule[];
  /**
   * The run's reward values when it set other ones than 1 / 0 / 0, so meanReward is on the scale its training
   * metrics were (accuracy does not depend on them); there is no flag for them.
   */
  rewardValues?: RewardValues;
  /** stderr lines: which settings came from the run (one line), and each flag that overrides another value. */
  lines: string[];
}

const describePrompt = (prompt: string | null | false): string =>
  prompt === false
    ? "none (no system turn)"
    : prompt === null
      ? "the math-tutor prompt"
      : JSON.stringify(prompt);
/** A systemPrompt as the config holds it, with what it means. */
const promptValue = (prompt: string | null | false): string =>
  prompt === false
    ? "false (no system turn)"
    : prompt === null
      ? "null (the math-tutor prompt)"
      : JSON.stringify(prompt);
const describeKwargs = (kwargs: ChatTemplateKwargs | undefined): string =>
  chatTemplateKwargsKey(kwargs) === "" ? "(none)" : JSON.stringify(kwargs);
/** null and the math-tutor text render the same system turn. */
const samePrompt = (a: string | null | false, b: string | null | false): boolean =>
  (a ?? MATH_TUTOR_SYSTEM_PROMPT) === (b ?? MATH_TUTOR_SYSTEM_PROMPT);

/**
 * The flags over the run's recorded settings (`run`, null for an adapter without a run: the flags alone). A
 * flag given explicitly wins; where it differs from the run's value a note names both (evaluating under other
 * settings is legitimate, never silent).
 */
export function evalSettingsFromRun(
  run: RunEvalSettings | null,
  flags: EvalSettingFlags,
): ResolvedEvalSettings {
  const out: ResolvedEvalSettings = { lines: [], ...withoutUndefined(flags) };
  if (run === null) return out;
  const taken: string[] = [];
  const notes: string[] = [];
  const differs = (flag: string, given: string, field: string, recorded: string): void => {
    notes.push(
      `ssb-grpo: note: evaluating with ${flag} ${given}, where the run trained with ${field} ${recorded} (${run.file})`,
    );
  };
  if (flags.systemPrompt === undefined) {
    if (run.systemPrompt !== null) out.systemPrompt = run.systemPrompt;
    taken.push(`system prompt: ${describePrompt(run.systemPrompt)}`);
  } else if (!samePrompt(flags.systemPrompt, run.systemPrompt)) {
    differs(
      flags.systemPrompt === false ? "--no-system-prompt" : "--system-prompt",
      flags.systemPrompt === false ? "(no system turn)" : JSON.stringify(flags.systemPrompt),
      "systemPrompt",
      promptValue(run.systemPrompt),
    );
  }
  const runRules = run.rules.join(",");
  if (flags.rules === undefined) {
    if (runRules !== DEFAULT_ANSWER_RULES.join(",")) out.rules = run.rules;
    taken.push(`answer rules: ${runRules}`);
  } else if (flags.rules.join(",") !== runRules) {
    differs("--answer-rules", flags.rules.join(","), "reward.rules", runRules);
  }
  if (flags.chatTemplateKwargs === undefined) {
    if (run.chatTemplateKwargs !== undefined) out.chatTemplateKwargs = run.chatTemplateKwargs;
    taken.push(`chat template kwargs: ${describeKwargs(run.chatTemplateKwargs)}`);
  } else if (!sameChatTemplateKwargs(flags.chatTemplateKwargs, run.chatTemplateKwargs)) {
    differs(
      "--chat-template-kwargs",
      describeKwargs(flags.chatTemplateKwargs),
      "chatTemplateKwargs",
      describeKwargs(run.chatTemplateKwargs),
    );
  }
  const values = run.rewardValues;
  if (
    values.correct !== DEFAULT_REWARD_VALUES.correct ||
    values.wrong !== DEFAULT_REWARD_VALUES.wrong ||
    values.noAnswer !== DEFAULT_REWARD_VALUES.noAnswer
  ) {
    out.rewardValues = values;
    taken.push(`rewards: correct ${values.correct}, wrong ${values.wrong}, noAnswer ${values.noAnswer}`);
  }
  // A run whose template reads no date recorded none: nothing to take or to differ from.
  if (run.templateDate !== undefined) {
    if (flags.templateDate === undefined) {
      out.templateDate = run.templateDate;
      taken.push(`template day: ${run.templateDate}`);
    } else if (flags.templateDate !== run.templateDate) {
      differs("--template-date", flags.templateDate, "templateDate", run.templateDate);
    }
  }
  if (taken.length > 0)
    out.lines.push(`ssb-grpo: eval settings from the run (${run.file}): ${taken.join("; ")}`);
  out.lines.push(...notes);
  return out;
}

function withoutUndefined(flags: EvalSettingFlags): Omit<ResolvedEvalSettings, "lines"> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
}
