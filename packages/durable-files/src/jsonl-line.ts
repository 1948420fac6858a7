/**
 * One line of an input JSONL file people bring (problems, benchmarks, replies), parsed the same way by every
 * reader, with the causes users actually hit named: a UTF-16 file (Windows PowerShell's `>`), a byte-order
 * mark inside the file (files joined with `cat`), a JSON array or a pretty-printed document instead of one
 * object per line, Python's NaN / Infinity, and integers past 2^53 that JSON.parse would round.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { isUnsafeInteger, unsafeIntegerError } from "./exact-integers.js";
import { jsonErrorOffset, nonJsonNumberNote, shortReason } from "./json-file.js";
import { looksLikeUtf16, utf16Error } from "./text-encoding.js";

export interface JsonlLineOptions {
  /** The line must hold a JSON object (the default); false takes any JSON value. */
  object?: boolean;
  /**
   * Top-level fields read exactly (ids, gold answers): an integer in one that a double cannot hold is an
   * error naming the digits as written and saying to write it as a string.
   */
  exactFields?: readonly string[];
}

/** How to write JSON Lines from a JSON document, for errors on files that are not JSON Lines. */
const JSONL_HOW =
  "not JSON Lines (one JSON object per line): write each record on its own line, e.g. jq -c '.[]' FILE > " +
  "FILE.jsonl for a JSON array, jq -c . FILE > FILE.jsonl for pretty-printed objects";

/** What a value is, for "expected a JSON object, found ...". */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return "a string";
  return `a ${typeof value}`;
}

/**
 * Whether a line that fails to parse is a piece of a JSON document rather than a record: the `[` or `{` that
 * opens a pretty-printed file, an array of records on one line, or an indented `"key": value` line.
 */
function looksLikeDocumentPart(text: string): boolean {
  const t = text.trim();
  return /^[[{]$/.test(t) || /^\[\s*[[{]/.test(t) || /^"(?:[^"\\]|\\.)*"\s*:/.test(t) || /^[\]}],?$/.test(t);
}

/**
 * Parse line `line` (1-based) of `file`: a leading byte-order mark (U+FEFF, on any line: files joined with
 * `cat`) is skipped. Errors start `file:line:column` (or `file:line`); see the module comment for the causes
 * named. Blank lines are the caller's to skip.
 */
export function parseJsonlLine(
  raw: string,
  file: string,
  line: number,
  options: JsonlLineOptions = {},
): unknown {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const where = `${file}:${line}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Read as UTF-8, a UTF-16 file is U+FFFD pairs or NUL bytes between characters, on every line.
    if (looksLikeUtf16(text)) throw utf16Error(file);
    const reason = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(text, reason);
    const place = offset === null ? where : `${where}:${offset + 1}`;
    const hint = looksLikeDocumentPart(text) ? `; the file looks like one JSON document, ${JSONL_HOW}` : "";
    throw new Error(
      `${place}: not valid JSON (${shortReason(reason)}${nonJsonNumberNote(text, offset)})${hint}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    if (options.object === false) return value;
    const hint = Array.isArray(value) ? `; a line holding an array of records is ${JSONL_HOW}` : "";
    throw new Error(`${where}: expected a JSON object, found ${kindOf(value)}${hint}`);
  }
  const record = value as Record<string, unknown>;
  for (const field of options.exactFields ?? []) {
    const v = record[field];
    if (isUnsafeInteger(v)) throw unsafeIntegerError(where, field, v, text);
  }
  return record;
}

/**
 * The lines of the text file at `file`, with their 1-based numbers, read in 1 MiB chunks so a file of any
 * size never becomes one string (V8 refuses strings past 512 MiB). A last line without a newline is a line;
 * a `\r` before the newline is dropped. `onBytes` sees every chunk read (to hash the file on the way).
 * Errors opening or reading the file are thrown as they come, for the caller to name.
 */
export function* textFileLines(
  file: string,
  onBytes?: (bytes: Uint8Array) => void,
): Generator<{ text: string; line: number }> {
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.alloc(1 << 20);
    const decoder = new StringDecoder("utf8");
    let rest = "";
    let line = 0;
    while (true) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read > 0) onBytes?.(chunk.subarray(0, read));
      const text = rest + (read > 0 ? decoder.write(chunk.subarray(0, read)) : decoder.end());
      const lines = text.split("\n");
      rest = read > 0 ? (lines.pop() as string) : "";
      for (const l of lines) {
        line++;
        yield { text: l.endsWith("\r") ? l.slice(0, -1) : l, line };
      }
      if (read === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}
