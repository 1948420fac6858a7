/**
 * The run's chat-template kwargs (`chatTemplateKwargs`, e.g. Qwen3's `{"enable_thinking": false}`), as every
 * stage's API takes them, and the warning for names the model's template never reads.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type ChatTemplateKwargs, parseChatTemplateKwargs, unusedChatTemplateKwargs } from "@ssb/model";
import type { PipelineConfig } from "./config-schema.js";
import { readModelChatTemplate } from "./template-day.js";

/** The kwargs as the stage APIs take them (nothing when the config sets none). */
export function templateKwargs(config: Pick<PipelineConfig, "chatTemplateKwargs">): {
  chatTemplateKwargs?: ChatTemplateKwargs;
} {
  return config.chatTemplateKwargs !== undefined ? { chatTemplateKwargs: config.chatTemplateKwargs } : {};
}

/**
 * A kwarg the template never names changes no prompt (transformers takes it silently): most often a misspelling,
 * such as `enable_thinkng`, that would leave thinking on for the whole run.
 */
export function unusedKwargsWarning(
  modelDir: string,
  config: Pick<PipelineConfig, "chatTemplateKwargs">,
): string | null {
  const source = readModelChatTemplate(modelDir);
  if (source === null) return null;
  const unused = unusedChatTemplateKwargs(source, config.chatTemplateKwargs);
  if (unused.length === 0) return null;
  return `${modelDir}: the chat template never reads chatTemplateKwargs ${unused.map((name) => `"${name}"`).join(", ")}; they change no prompt (misspelt?)`;
}

const IN_IDENTITY = "; chatTemplateKwargs ";

/**
 * The kwargs `ssb curate` renders the teacher's prompts with: the config's (or --chat-template-kwargs), else the
 * ones the output's run.json pinned with its teacher (rollout's teacher identity ends
 * `; chatTemplateKwargs {...}`), so a resume without the flag shows the teacher the prompts it began with.
 */
export function curateTemplateKwargs<T extends Pick<PipelineConfig, "chatTemplateKwargs">>(
  outDir: string,
  config: T,
): T {
  if (config.chatTemplateKwargs !== undefined) return config;
  const runFile = path.join(outDir, "run.json");
  if (!existsSync(runFile)) return config;
  let teacher: unknown;
  try {
    teacher = (JSON.parse(readFileSync(runFile, "utf8")) as { settings?: { teacher?: unknown } }).settings
      ?.teacher;
  } catch {
    return config; // @ssb/curation names an unreadable run.json itself.
  }
  if (typeof teacher !== "string" || !teacher.includes(IN_IDENTITY)) return config;
  const text = teacher.slice(teacher.lastIndexOf(IN_IDENTITY) + IN_IDENTITY.length);
  return { ...config, chatTemplateKwargs: parseChatTemplateKwargs(text, `${runFile}: settings.teacher`) };
}
