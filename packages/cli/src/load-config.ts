/**
 * Reading a config file (JSON or YAML), merging it over the default and validating it. Every error names the
 * file and the field (or line) at fault.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseJsonFile } from "@ssb/distill";
import { parseDocument } from "yaml";
import type { ZodError } from "zod";
import { type PipelineConfig, pipelineSchema } from "./config-schema.js";
import { DEFAULT_CONFIG } from "./default-config.js";
import { trainConfigOf } from "./stage-distill.js";

export class ConfigError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `override` over `base`: objects merge field by field, anything else (arrays included) replaces. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}

function describeZodError(error: ZodError, where: string): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => (field ? `${field}.${k}` : k));
      return `unknown field ${keys.map((k) => `"${k}"`).join(", ")}`;
    }
    return `field "${field}": ${issue.message}`;
  });
  return `${where}: ${lines.join("; ")}`;
}

/** Validate a partial config (already parsed) merged over the default; `where` names its source. */
export function resolveConfig(partial: unknown, where = "config"): PipelineConfig {
  if (partial !== undefined && partial !== null && !isPlainObject(partial)) {
    throw new ConfigError(`${where}: expected a mapping of settings at the top level`);
  }
  const merged = deepMerge(DEFAULT_CONFIG, partial ?? {});
  const parsed = pipelineSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeZodError(parsed.error, where));
  // The distill section is @ssb/distill's to check; checked now, so a typo there does not surface only
  // after the rollout and curate stages have run.
  try {
    trainConfigOf(parsed.data, where);
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
  return parsed.data;
}

/** Parse config text; YAML unless the file name ends in .json (JSON is YAML too, but JSON errors read better). */
export function parseConfigText(text: string, file: string): unknown {
  if (file.endsWith(".json")) {
    try {
      return parseJsonFile(text, file); // names file:line:column, as YAML errors do
    } catch (e) {
      throw new ConfigError(e instanceof Error ? e.message : String(e));
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const at = first?.linePos?.[0];
    const loc = at ? `:${at.line}:${at.col}` : "";
    throw new ConfigError(`${file}${loc}: not valid YAML (${first?.message.split("\n")[0]})`);
  }
  return doc.toJS();
}

export interface LoadedConfig {
  config: PipelineConfig;
  /** The file it came from, or null for the embedded default. */
  file: string | null;
}

/**
 * Load a config file (or the embedded default when `file` is undefined). Relative problem files resolve
 * against the config file's folder.
 */
export function loadConfig(file?: string): LoadedConfig {
  if (file === undefined) return { config: resolveConfig({}, "default config"), file: null };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config (${e instanceof Error ? e.message : String(e)})`);
  }
  const config = resolveConfig(parseConfigText(text, file), file);
  const base = path.dirname(path.resolve(file));
  const problems = { ...config.problems };
  if (problems.trainFile) problems.trainFile = path.resolve(base, problems.trainFile);
  if (problems.evalFile) problems.evalFile = path.resolve(base, problems.evalFile);
  if (config.model !== "default") config.model = path.resolve(base, config.model);
  return { config: { ...config, problems }, file };
}
