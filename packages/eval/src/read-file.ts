/**
 * Text and JSON files as eval reads them. A leading UTF-8 byte-order mark (U+FEFF, which some Windows editors
 * and exporters write) is dropped: JSON.parse refuses it as an invisible token, and at the start of a prompt
 * or a reply it carries no meaning.
 */
import { readFileSync } from "node:fs";
import { locateJsonError } from "./json-error-position.js";

/** The text without a leading byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A UTF-8 text file, without a leading byte-order mark. */
export function readTextFile(path: string): string {
  return stripBom(readFileSync(path, "utf8"));
}

/**
 * JSON text read from `path`; a syntax error names the file, line and column (`config.json:3:14: not valid
 * JSON (Unexpected token '}')`), so an editor can jump to it.
 */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = locateJsonError(text, error);
    if (at === null) throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
    throw new Error(`${path}:${at.line}:${at.column}: not valid JSON (${at.message})`);
  }
}

/** A JSON file; an error names the file (and for a syntax error the line and column). */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read JSON (${(error as Error).message})`);
  }
  return parseJsonText(text, path);
}

/** How a JSON value that should have been an object reads in a message: "null", "an array", "a string". */
export function describeJsonValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
