/**
 * JSON files a job writes and reads back (checkpoint states, pinned settings, configs people edit): a truncated
 * or edited one must fail naming the file and the place, not with JSON.parse's bare "Unexpected end of JSON
 * input".
 */
import { readFileSync } from "node:fs";
import { looksLikeUtf16, utf16Error } from "./text-encoding.js";

/**
 * `text` without a leading byte-order mark (U+FEFF). Editors on Windows (Notepad, PowerShell's Out-File) start
 * UTF-8 files with one; JSON.parse would refuse it as an invisible "Unexpected token".
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whether JSON.parse stops on a character inside `prefix` (rather than at its end, or not at all). */
function failsWithin(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A prefix cut inside a value may be refused at its own end ("Expected property name ... at position
    // <its length>"): that is running out of text, as "end of JSON input" is, not the bad character.
    const at = /at position (\d+)/.exec(reason);
    if (at) return Number(at[1]) < prefix.length;
    return !/end of JSON input/.test(reason);
  }
}

/**
 * The offset of the character JSON.parse refuses, for V8 messages that carry no position ("Unexpected token
 * '.', ..."...": .inf}" is not valid JSON"). A prefix that holds the bad character fails on it; a shorter one
 * only ends early, so the shortest failing prefix ends just past it. Binary search: about log2(n) parses, only
 * on a file that is already an error; files past a few MiB are left unplaced.
 */
function offendingOffset(text: string): number | null {
  if (text.length > 4 * 1024 * 1024 || !failsWithin(text)) return null;
  let low = 1;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (failsWithin(text.slice(0, mid))) high = mid;
    else low = mid + 1;
  }
  return low - 1;
}

/** The offset in `text` of a JSON.parse error, or null when it cannot be found. */
export function jsonErrorOffset(text: string, reason: string): number | null {
  const at = /at position (\d+)/.exec(reason);
  // "Unexpected end of JSON input" carries no position: the text ended too early, so the place is its end.
  return at ? Number(at[1]) : /end of JSON input/.test(reason) ? text.length : offendingOffset(text);
}

/**
 * What to add to the reason when JSON.parse stopped at NaN or Infinity (at `offset` in `text`): Python's json
 * module writes them for float('nan') and float('inf'), and pandas for a missing number, but JSON has no such
 * values. Empty otherwise.
 */
export function nonJsonNumberNote(text: string, offset: number | null): string {
  if (offset === null) return "";
  // V8 places "-Infinity" at the minus sign or just after it.
  const found = /^-?(NaN|Infinity)/.exec(
    text.slice(Math.max(0, offset - 1), offset + 10).replace(/^[^-NI]/, ""),
  );
  if (found === null) return "";
  const python = found[1] === "NaN" ? "float('nan')" : "float('inf')";
  return `; ${found[0]} is not JSON: Python's json writes it for ${python}; write null or a string`;
}

/** `file:line:column` of a JSON.parse error in `text`, or `file` when no place can be found. */
function jsonErrorPlace(text: string, file: string, reason: string): string {
  const offset = jsonErrorOffset(text, reason);
  if (offset === null) return file;
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `${file}:${line}:${column}`;
}

/**
 * V8's message without what the place already says: its position ("in JSON at position 7 (line 2 column 3)")
 * and its copy of the text (`Unexpected token '}', "{"a":}" is not valid JSON`), which may be long.
 */
export function shortReason(reason: string): string {
  const token = /^(Unexpected token '[\s\S]{1,2}'), [\s\S]* is not valid JSON$/.exec(reason);
  if (token) return token[1] as string;
  return reason.replace(/ (?:in JSON )?at position \d+(?: \(line \d+ column \d+\))?/, "");
}

/** Parse `raw` read from `file` (a leading BOM is skipped); a syntax error names `file:line:column`. */
export function parseJsonFile(raw: string, file: string): unknown {
  const text = stripBom(raw);
  try {
    return JSON.parse(text);
  } catch (error) {
    // A UTF-16 file (PowerShell's Out-File) read as UTF-8 fails at 1:1 on "�", which names no cause.
    if (looksLikeUtf16(text)) throw utf16Error(file);
    const reason = error instanceof Error ? error.message : String(error);
    const note = nonJsonNumberNote(text, jsonErrorOffset(text, reason));
    const shown = text.trim() === "" ? "the file is empty" : `${shortReason(reason)}${note}`;
    throw new Error(`${jsonErrorPlace(text, file, reason)}: not valid JSON (${shown})`);
  }
}

/** Read and parse the JSON file at `file`; an unreadable file or bad JSON names it (and the place). */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: cannot read JSON (${(error as Error).message})`);
  }
  return parseJsonFile(text, file);
}

/** As parseJsonFile, for files that must hold one JSON object (anything else is named as an error too). */
export function parseJsonObjectFile(text: string, file: string): Record<string, unknown> {
  const value = parseJsonFile(text, file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const found = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new Error(`${file}: expected a JSON object, found ${found}`);
  }
  return value as Record<string, unknown>;
}
