/**
 * An append-only JSONL file keyed by problem id, safe to kill at any moment and resume.
 *
 * Each record is written with one write() call and fsync'ed before the next, so after a crash the file holds
 * whole records plus at most one partial last line. Opening truncates that partial line and reports which keys
 * are already done, so a rerun skips them and appends the rest: the final file equals an uninterrupted run's.
 * One writer per file at a time: runCuration holds its output directory's curation.lock while it writes.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { stripBom } from "@ssb/durable-files";
import { parseJsonLine } from "./jsonl.js";

export interface Journal<T> {
  readonly path: string;
  /** Keys of the records already in the file (including those appended through this handle). */
  readonly keys: ReadonlySet<string>;
  /** Records already in the file when it was opened, in file order. */
  readonly existing: readonly T[];
  /** Bytes of a partial last line that were cut off on open (0 when the file ended cleanly). */
  readonly truncatedBytes: number;
  append(key: string, record: T): void;
  close(): void;
}

/**
 * Opens (creating if absent) a journal. `keyOf` pulls the key from a parsed line and throws (naming `where`) if
 * the line is not a valid record.
 */
export function openJournal<T>(path: string, keyOf: (value: unknown, where: string) => string): Journal<T> {
  const keys = new Set<string>();
  const existing: T[] = [];
  let truncatedBytes = 0;
  if (existsSync(path)) {
    let bytes = readFileSync(path);
    const lastNewline = bytes.lastIndexOf(0x0a);
    let cleanLength = lastNewline + 1;
    if (cleanLength < bytes.length) {
      const fd = openSync(path, "r+");
      try {
        const line = bytes.subarray(0, cleanLength).filter((b) => b === 0x0a).length + 1;
        if (isWholeRecord(bytes.subarray(cleanLength), keyOf, `${path}:${line}`)) {
          // A whole record that only lacks its newline (saved by an editor, or cut off just before it): a
          // prefix of a record that parses is the whole record, so it is kept and ended, not redone.
          writeSync(fd, "\n", bytes.length);
          bytes = Buffer.concat([bytes, Buffer.from("\n")]);
          cleanLength = bytes.length;
        } else {
          // A record cut off mid-write by a crash: drop it; its problem is simply redone.
          truncatedBytes = bytes.length - cleanLength;
          ftruncateSync(fd, cleanLength);
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    // A mark an editor added when the file was opened by hand is not part of the first record.
    const lines = stripBom(bytes.subarray(0, cleanLength).toString("utf8")).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      if (text.trim() === "") continue;
      const where = `${path}:${i + 1}`;
      const value = parseJsonLine(text, where);
      const key = keyOf(value, where);
      if (keys.has(key))
        throw new Error(`${where}: problem id ${JSON.stringify(key)} appears twice in this file`);
      keys.add(key);
      existing.push(value as T);
    }
  }
  const fd = openSync(path, "a");
  let closed = false;
  return {
    path,
    keys,
    existing,
    truncatedBytes,
    append(key: string, record: T): void {
      if (closed) throw new Error(`${path}: journal is closed`);
      if (keys.has(key)) throw new Error(`${path}: problem id ${JSON.stringify(key)} is already recorded`);
      const bytes = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
      // writeSync may write fewer bytes than asked (rare on files, but allowed); loop until all are out.
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
      keys.add(key);
    },
    close(): void {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/**
 * Whether `tail` (a last line without its newline) is a whole record (true) or a torn one (false, it does not
 * parse). A tail that parses but is not a valid record was not cut off by a crash: keyOf's error, naming `where`.
 */
function isWholeRecord(
  tail: Buffer,
  keyOf: (value: unknown, where: string) => string,
  where: string,
): boolean {
  const text = stripBom(tail.toString("utf8"));
  if (text.trim() === "") return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  keyOf(value, where);
  return true;
}

/** keyOf for records whose key is their `problemId` string field. */
export function problemIdKey(value: unknown, where: string): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const id = (value as Record<string, unknown>).problemId;
    if (typeof id === "string" && id.length > 0) return id;
  }
  throw new Error(`${where}: expected a record with a string "problemId" field`);
}
