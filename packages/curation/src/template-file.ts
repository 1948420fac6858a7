/**
 * Custom teacher templates from a file: either JSON `{"name"?, "system"?, "user"}` or any other file taken as
 * the user prompt verbatim (with the default system prompt). Built-in names "default" and "exact" also resolve.
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { stripBom } from "@ssb/durable-files";
import { asObject, describe } from "./parse-records.js";
import {
  DEFAULT_TEMPLATE,
  EXACT_TEMPLATE,
  MATH_TUTOR_SYSTEM_PROMPT,
  type TeacherTemplate,
  validateTemplate,
} from "./teacher-prompt.js";

export function parseTemplateFile(path: string, fileText: string): TeacherTemplate {
  const text = stripBom(fileText);
  let template: TeacherTemplate;
  if (extname(path).toLowerCase() === ".json") {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const obj = asObject(raw, path, "a template");
    const user = obj.user;
    if (typeof user !== "string")
      throw new Error(`${path}: field "user" must be a string, found ${describe(user)}`);
    const system = obj.system ?? MATH_TUTOR_SYSTEM_PROMPT;
    if (typeof system !== "string") {
      throw new Error(`${path}: field "system" must be a string, found ${describe(system)}`);
    }
    const name = obj.name ?? basename(path);
    if (typeof name !== "string")
      throw new Error(`${path}: field "name" must be a string, found ${describe(name)}`);
    template = { name, system, user };
  } else {
    template = { name: basename(path), system: MATH_TUTOR_SYSTEM_PROMPT, user: text };
  }
  validateTemplate(template, path);
  return template;
}

/** "default", "exact", or a path to a template file. */
export function resolveTemplate(spec: string): TeacherTemplate {
  if (spec === "default") return DEFAULT_TEMPLATE;
  if (spec === "exact") return EXACT_TEMPLATE;
  let text: string;
  try {
    text = readFileSync(spec, "utf8");
  } catch (err) {
    throw new Error(
      `template "${spec}" is neither "default", "exact" nor a readable file: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return parseTemplateFile(spec, text);
}
