/**
 * The one day every stage of an `ssb run` renders a date-reading chat template with. Llama 3.1 / 3.2-Instruct
 * write today's date into their system turn (`strftime_now`), so without one day per run the rollouts, the
 * teacher, the student and the evaluation of a run spanning midnight would each see another prompt, and a
 * stage resumed on another day would be refused or mix two days' prompts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { templateDateString, templateReadsDate } from "@ssb/model";
import type { PipelineConfig } from "./config-schema.js";

/**
 * The checkpoint's chat template as the tokenizer loads it: chat_template.jinja, else tokenizer_config.json's
 * `chat_template` (a string, or the "default" entry of a list of { name, template }); null when there is none
 * or the file does not parse (the start-of-run checks name that).
 */
export function readModelChatTemplate(modelDir: string): string | null {
  const jinja = path.join(modelDir, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const config = path.join(modelDir, "tokenizer_config.json");
  if (!existsSync(config)) return null;
  try {
    const template: unknown = (JSON.parse(readFileSync(config, "utf8")) as { chat_template?: unknown })
      .chat_template;
    if (typeof template === "string") return template;
    if (Array.isArray(template)) {
      const named = template.find((t) => (t as { name?: unknown })?.name === "default") as {
        template?: unknown;
      };
      return typeof named?.template === "string" ? named.template : null;
    }
    return null;
  } catch {
    return null;
  }
}

/** Whether the checkpoint's chat template reads the clock. */
export function modelTemplateReadsDate(modelDir: string): boolean {
  return templateReadsDate(readModelChatTemplate(modelDir));
}

/**
 * The config with its `templateDate` filled in: the config's own, else the one the work directory's pinned
 * config.json recorded, else today (local) where the model's template reads the date. Other models' configs are
 * returned as they are, so their pinned config.json stays as it was.
 */
export function withTemplateDay(
  config: PipelineConfig,
  modelDir: string,
  pinned: Partial<PipelineConfig> | null,
): PipelineConfig {
  if (config.templateDate !== undefined) return config;
  const recorded = typeof pinned?.templateDate === "string" ? pinned.templateDate : undefined;
  if (recorded !== undefined) return { ...config, templateDate: recorded };
  return existsSync(modelDir) && modelTemplateReadsDate(modelDir)
    ? { ...config, templateDate: templateDateString() }
    : config;
}

/** The run's day for a date-reading chat template, as the stage APIs take it (nothing when none is pinned). */
export function templateDay(config: PipelineConfig): { templateDate?: string } {
  return config.templateDate !== undefined ? { templateDate: config.templateDate } : {};
}

/**
 * The day `ssb curate` renders a date-reading teacher template with: `given` (--template-date), else the day the
 * output's run.json pinned with its teacher (`...; templateDate 2026-11-29`), else today; undefined where the
 * template does not read the date. A resume on another day then shows the teacher the prompts it began with.
 */
export function curateTemplateDay(
  outDir: string,
  modelDir: string,
  given: string | undefined,
): string | undefined {
  if (given !== undefined) return given;
  if (!existsSync(modelDir) || !modelTemplateReadsDate(modelDir)) return undefined;
  const runFile = path.join(outDir, "run.json");
  if (existsSync(runFile)) {
    const recorded = /; templateDate (\d{4}-\d{2}-\d{2})\b/.exec(readFileSync(runFile, "utf8"));
    if (recorded) return recorded[1];
  }
  return templateDateString();
}
