/**
 * Append-only JSONL journals read back on resume. A job appends each record with its newline in one write, so
 * after a kill the file holds whole lines plus at most one line cut short at the end. Reading it back has
 * to tell three endings apart, the same way in every job:
 * - a last line without its newline that parses: a whole record that only lacks the newline (an editor saved
 *   it so, or the kill fell between the record and its newline). A proper prefix of a JSON object never
 *   parses, so it was written whole: kept, and ended with a newline before the next append.
 * - a last line without its newline that does not parse: a write cut short. It was never acknowledged, so it
 *   is dropped and its work redone; the caller says so.
 * - a bad line that does end in a newline: not a torn write (each record goes out with its newline) but a
 *   hand edit gone wrong, or another tool's file. An error naming file:line:column; nothing is cut off.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { jsonErrorOffset, nonJsonNumberNote, shortReason } from "./json-file.js";
import { looksLikeUtf16, utf16Error } from "./text-encoding.js";

/** One parsed, non-blank line. */
export interface JsonlRecord {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
  /** `file:line`, for the caller's errors about the record's fields. */
  where: string;
  /** Byte range of the line's text in the file (without its newline): for callers that copy lines as written. */
  start: number;
  end: number;
}

/** A torn last line: a write cut short, left out of `records`. */
export interface JsonlTornTail {
  /** Its 1-based line number. */
  line: number;
  /** How many bytes it held. */
  bytes: number;
}

export interface JsonlScan {
  records: JsonlRecord[];
  /**
   * The bytes to keep: a leading byte-order mark, every whole line, and a last record that lacks only its
   * newline. Anything after (a torn line, or blanks without a newline) is to be cut off before appending.
   */
  keepBytes: number;
  /** The last record lacks its newline: add one at `keepBytes` before appending (repairJsonlTail does). */
  missingNewline: boolean;
  /** A torn last line that was left out, or null. */
  torn: JsonlTornTail | null;
}

export interface ScanJsonlOptions {
  /**
   * Builds the error for a line that does not parse and is not a torn last line. `where` is
   * `file:line:column` (or `file:line` when the column cannot be found), `reason` JSON.parse's reason without
   * its copy of the text. Default: `<where>: not valid JSON (<reason>)`.
   */
  badLine?: (where: string, reason: string) => Error;
}

function defaultBadLine(where: string, reason: string): Error {
  return new Error(`${where}: not valid JSON (${reason})`);
}

type ParsedLine = { ok: true; value: unknown } | { ok: false; reason: string; column: number | null };

function parseLine(text: string): ParsedLine {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(text, reason);
    const note = nonJsonNumberNote(text, offset);
    return {
      ok: false,
      reason: `${shortReason(reason)}${note}`,
      column: offset === null ? null : offset + 1,
    };
  }
}

/** Scan the bytes of a JSONL file read from `file` (named in errors); see the module comment for the rules. */
export function scanJsonl(bytes: Uint8Array, file: string, options: ScanJsonlOptions = {}): JsonlScan {
  const badLine = options.badLine ?? defaultBadLine;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Read as UTF-8, a UTF-16 file is garbage: an error at line 1, or (one record, no final newline) a "torn"
  // line that repairJsonlTail would cut off whole. Refused before either, naming the encoding.
  if (looksLikeUtf16(buffer.toString("latin1", 0, 8))) throw utf16Error(file);
  // A byte-order mark (the file saved by a Windows editor) is kept in the file but is not part of line 1.
  const bom = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  const records: JsonlRecord[] = [];
  let start = bom;
  let line = 0;
  let keepBytes = bom;
  let missingNewline = false;
  let torn: JsonlTornTail | null = null;
  while (start < buffer.length) {
    line++;
    const newline = buffer.indexOf(0x0a, start);
    const end = newline < 0 ? buffer.length : newline;
    const text = buffer.toString("utf8", start, end);
    if (text.trim() === "") {
      // A blank line is kept as it is; blanks after the last newline are dropped (nothing is lost).
      if (newline >= 0) keepBytes = newline + 1;
      start = end + 1;
      continue;
    }
    const parsed = parseLine(text);
    if (!parsed.ok) {
      if (newline < 0) {
        torn = { line, bytes: end - start };
        break;
      }
      const where = parsed.column === null ? `${file}:${line}` : `${file}:${line}:${parsed.column}`;
      throw badLine(where, parsed.reason);
    }
    records.push({ line, value: parsed.value, where: `${file}:${line}`, start, end });
    if (newline < 0) {
      missingNewline = true;
      keepBytes = end;
    } else {
      keepBytes = newline + 1;
    }
    start = end + 1;
  }
  return { records, keepBytes, missingNewline, torn };
}

/** The scan of an empty file. */
export function emptyJsonlScan(): JsonlScan {
  return { records: [], keepBytes: 0, missingNewline: false, torn: null };
}

/**
 * Read and scan the JSONL file at `file`; a missing file scans as empty, a folder or an unreadable file is an
 * error naming it.
 */
export function readJsonlFile(file: string, options: ScanJsonlOptions = {}): JsonlScan {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return emptyJsonlScan();
    if (code === "EISDIR") throw new Error(`${file} is a folder, not a JSONL file`);
    throw new Error(`${file}: cannot read (${(error as Error).message})`);
  }
  return scanJsonl(bytes, file, options);
}

/**
 * Make the file open as `fd` (for writing) end as the scan says before the next append: cut off a torn last
 * line, end a last record that lacks its newline, fsync. Returns the file's length after, where the next
 * record goes. Does nothing (no write, no sync) when the file already ends cleanly.
 */
export function repairJsonlTail(fd: number, scan: JsonlScan): number {
  const size = fstatSync(fd).size;
  if (size === scan.keepBytes && !scan.missingNewline) return size;
  ftruncateSync(fd, scan.keepBytes);
  let length = scan.keepBytes;
  if (scan.missingNewline) {
    writeSync(fd, "\n", length);
    length++;
  }
  fsyncSync(fd);
  return length;
}

/** repairJsonlTail on the file at `file` (opened and closed here); a missing file is left missing. */
export function repairJsonlFile(file: string, scan: JsonlScan): number {
  let fd: number;
  try {
    fd = openSync(file, "r+");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  try {
    return repairJsonlTail(fd, scan);
  } finally {
    closeSync(fd);
  }
}
