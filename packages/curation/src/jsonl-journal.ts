/**
 * An append-only JSONL file keyed by problem id, safe to kill at any moment and resume.
 *
 * Each record is written with one write() call and fsync'ed before the next, so after a crash the file holds
 * whole records plus at most one partial last line. Opening truncates that partial line and reports which keys
 * are already done, so a rerun skips them and appends the rest: the final file equals an uninterrupted run's.
 * One writer per file at a time: runCuration holds its output directory's curation.lock while it writes.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { type JsonlScan, readJsonlFile, repairJsonlFile } from "@ssb/durable-files";

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

/** A journal's records, read without touching the file: what a run checks before it writes anything. */
export interface JournalContents<T> {
  readonly path: string;
  readonly keys: ReadonlySet<string>;
  readonly existing: readonly T[];
  /** The scan that found them, for appendToJournal to repair the tail from. */
  readonly scan: JsonlScan;
}

/**
 * Reads a journal (an absent file is an empty one) and checks every line, changing nothing. `keyOf` pulls the
 * key from a parsed line and throws (naming `where`) if the line is not a valid record.
 */
export function readJournal<T>(
  path: string,
  keyOf: (value: unknown, where: string) => string,
): JournalContents<T> {
  const keys = new Set<string>();
  const existing: T[] = [];
  // A whole last record lacking only its newline is kept; a torn one (a crash mid-write) is dropped and its
  // problem redone; a bad line with its newline is a hand edit, refused (@ssb/durable-files' JSONL rules).
  const scan = readJsonlFile(path, {
    badLine: (where, reason) => new Error(`${where}: invalid JSON (${reason})`),
  });
  for (const { value, where } of scan.records) {
    const key = keyOf(value, where);
    if (keys.has(key))
      throw new Error(`${where}: problem id ${JSON.stringify(key)} appears twice in this file`);
    keys.add(key);
    existing.push(value as T);
  }
  return { path, keys, existing, scan };
}

/**
 * Opens (creating if absent) a journal. `keyOf` pulls the key from a parsed line and throws (naming `where`) if
 * the line is not a valid record. Every line is checked before the file is touched: a refused journal is left
 * exactly as it was.
 */
export function openJournal<T>(path: string, keyOf: (value: unknown, where: string) => string): Journal<T> {
  return appendToJournal(readJournal<T>(path, keyOf));
}

/**
 * Opens a journal read by readJournal for appending: cuts a torn last line, ends a last record lacking its
 * newline, and creates the file if absent. Nothing may write the file between the two calls (runCuration
 * holds its folder's lock).
 */
export function appendToJournal<T>(contents: JournalContents<T>): Journal<T> {
  const { path, existing, scan } = contents;
  const keys = new Set(contents.keys);
  const truncatedBytes = scan.torn?.bytes ?? 0;
  repairJsonlFile(path, scan);
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

/** keyOf for records whose key is their `problemId` string field. */
export function problemIdKey(value: unknown, where: string): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const id = (value as Record<string, unknown>).problemId;
    if (typeof id === "string" && id.length > 0) return id;
  }
  throw new Error(`${where}: expected a record with a string "problemId" field`);
}
