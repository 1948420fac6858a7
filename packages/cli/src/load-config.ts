/**
 * Reading a config file (JSON or YAML), merging it over the default and validating it. Every error names the
 * file, the field (with its line and column when the file wrote it) and the value as written.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { looksLikeUtf16, parseJsonFile, stripBom, utf16Error } from "@ssb/durable-files";
import { parseDocument } from "yaml";
import type { ZodError } from "zod";
import { crossFieldIssues } from "./config-bounds.js";
import { distillIssues } from "./config-distill.js";
import { type PipelineConfig, pipelineSchema } from "./config-schema.js";
import {
  type ConfigSource,
  describeIssues,
  type FieldIssue,
  type FieldPath,
  unwrittenSource,
  writtenSource,
} from "./config-source.js";
import { DEFAULT_CONFIG } from "./default-config.js";

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

function valueAt(root: unknown, fieldPath: FieldPath): unknown {
  let v = root;
  for (const key of fieldPath) v = isPlainObject(v) || Array.isArray(v) ? (v as never)[key] : undefined;
  return v;
}

/** One issue per field (an infinity is both "not finite" and "too big"), the first zod found. */
function zodIssues(error: ZodError, merged: unknown): FieldIssue[] {
  const seen = new Set<string>();
  const all = error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => ({ path: [...issue.path, k], problem: null, value: undefined }));
    }
    const value = valueAt(merged, issue.path);
    // zod calls NaN "received nan" and an infinity "not finite": both are numbers only by type.
    const problem =
      typeof value === "number" && !Number.isFinite(value) ? "expected a finite number" : issue.message;
    return [{ path: issue.path, problem, value }];
  });
  return all.filter((i) => {
    const key = JSON.stringify(i.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Validate a partial config (already parsed) merged over the default; `where` names its source, or `source`
 * locates its fields too (a file's text).
 */
export function resolveConfig(partial: unknown, where: string | ConfigSource = "config"): PipelineConfig {
  const source = typeof where === "string" ? unwrittenSource(where) : where;
  if (partial !== undefined && partial !== null && !isPlainObject(partial)) {
    throw new ConfigError(`${source.name}: expected a mapping of settings at the top level`);
  }
  const merged = deepMerge(DEFAULT_CONFIG, partial ?? {});
  const parsed = pipelineSchema.safeParse(merged);
  // Every problem at once, the distill section's too (@ssb/distill's to judge; checked now, so a typo there
  // does not surface only after the rollout and curate stages have run).
  const issues = parsed.success ? crossFieldIssues(parsed.data) : zodIssues(parsed.error, merged);
  const { distill, seed } = merged as { distill?: unknown; seed?: unknown };
  issues.push(
    ...distillIssues(distill, ["distill"], Number.isSafeInteger(seed) ? (seed as number) : undefined),
  );
  // A line break in a zod message (an enum's options) would split the one-line error.
  if (issues.length > 0 || !parsed.success)
    throw new ConfigError(describeIssues(issues, source).replace(/\n/g, " "));
  return parsed.data;
}

/** Parse config text; YAML unless the file name ends in .json (JSON is YAML too, but JSON errors read better). */
export function parseConfigText(raw: string, file: string): unknown {
  const text = stripBom(raw);
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

/** A config file's parsed contents and the locator of its fields, for error messages. */
export function readConfigFile(file: string): { value: unknown; source: ConfigSource } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config (${e instanceof Error ? e.message : String(e)})`);
  }
  // Read as UTF-8, a UTF-16 file (PowerShell's > and Out-File) is YAML of one odd scalar: "expected a mapping".
  if (looksLikeUtf16(text)) throw new ConfigError(utf16Error(file).message);
  text = stripBom(text);
  return { value: parseConfigText(text, file), source: writtenSource(text, file) };
}

export interface LoadedConfig {
  config: PipelineConfig;
  /** The file it came from, or null for the embedded default. */
  file: string | null;
  /** Where its fields were written (for errors found later, when the run starts). */
  source: ConfigSource;
}

/**
 * Load a config file (or the embedded default when `file` is undefined). Relative problem files resolve
 * against the config file's folder.
 */
export function loadConfig(file?: string): LoadedConfig {
  if (file === undefined) {
    const source = unwrittenSource("default config");
    return { config: resolveConfig({}, source), file: null, source };
  }
  const { value, source } = readConfigFile(file);
  const config = resolveConfig(value, source);
  const base = path.dirname(path.resolve(file));
  const problems = { ...config.problems };
  if (problems.trainFile) problems.trainFile = path.resolve(base, problems.trainFile);
  if (problems.evalFile) problems.evalFile = path.resolve(base, problems.evalFile);
  if (config.model !== "default") config.model = path.resolve(base, config.model);
  return { config: { ...config, problems }, file, source };
}
