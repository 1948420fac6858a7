/**
 * records.jsonl: the run's journal while it runs, and its canonical result when it ends.
 *
 * While running, every sample is appended as one complete line with a single write() on an O_APPEND descriptor
 * and fsync'ed, so a crash can at worst leave one torn final line; on resume that tail is cut off (it was never
 * acknowledged) and its sample is generated again. A last line that is a whole, valid record without its
 * newline (a file saved by an editor, or a write cut off just before the newline) is kept, not cut off. When the run completes the file is rewritten in canonical order
 * (benchmark, problem, sample index) via a temporary file and rename, so an interrupted-and-resumed run ends
 * byte-identical to an uninterrupted one.
 */

import { closeSync, existsSync, fsyncSync, openSync, readSync, truncateSync, writeSync } from "node:fs";
import { readJsonlFile, writeFileAtomic } from "@ssb/durable-files";
import type { SampleRecord } from "./types.js";

export interface ReadRecordsResult {
  records: SampleRecord[];
  /** Bytes of the file that hold complete, valid lines. */
  validBytes: number;
  /** A final line without its newline that does not parse (an interrupted append) was found and left out. */
  tornTail: boolean;
}

const REQUIRED: readonly (keyof SampleRecord)[] = [
  "benchmark",
  "problemId",
  "sampleIndex",
  "gold",
  "text",
  "correct",
  "tokens",
  "finishReason",
];

/** Check one parsed line; errors name the file, line and field. */
export function parseRecord(value: unknown, where: string): SampleRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`${where}: expected a JSON object`);
  const o = value as Record<string, unknown>;
  for (const field of REQUIRED) {
    if (!(field in o)) throw new Error(`${where}: missing field "${field}"`);
  }
  if (typeof o.benchmark !== "string") throw new Error(`${where}: field "benchmark" must be a string`);
  if (typeof o.problemId !== "string") throw new Error(`${where}: field "problemId" must be a string`);
  if (typeof o.sampleIndex !== "number" || !Number.isInteger(o.sampleIndex) || o.sampleIndex < 0) {
    throw new Error(`${where}: field "sampleIndex" must be a non-negative integer`);
  }
  if (typeof o.correct !== "boolean") throw new Error(`${where}: field "correct" must be a boolean`);
  // JSON reads 1e400 as Infinity: it failed later as "mean: values[0] must be a finite number", naming no file;
  // a negative count gave a negative mean length silently.
  if (typeof o.tokens !== "number" || !Number.isFinite(o.tokens) || o.tokens < 0) {
    throw new Error(
      `${where}: field "tokens" must be a non-negative finite number (got ${typeof o.tokens === "number" ? String(o.tokens) : JSON.stringify(o.tokens)})`,
    );
  }
  if (o.finishReason !== "stop" && o.finishReason !== "length") {
    throw new Error(`${where}: field "finishReason" must be "stop" or "length"`);
  }
  if (o.extracted !== null && o.extracted !== undefined && typeof o.extracted !== "string") {
    throw new Error(`${where}: field "extracted" must be a string or null`);
  }
  return value as SampleRecord;
}

/**
 * Read a records file; a missing file reads as empty. A bad line other than the last is an error, and so is a
 * sample (benchmark, problem, sample index) recorded twice: which of the two is the run's cannot be told, and
 * keeping either would silently drop the other.
 */
export function readRecords(path: string): ReadRecordsResult {
  // @ssb/durable-files' JSONL rules: a torn last line (no newline, does not parse) is left out; a whole last
  // record lacking only its newline is kept; a bad line with its newline (a hand edit) is an error naming it.
  const scan = readJsonlFile(path);
  const records: SampleRecord[] = [];
  const firstLine = new Map<string, number>();
  for (const { value, where, line } of scan.records) {
    // A last line that parses but is not a record is an error like any other bad line.
    const record = parseRecord(value, where);
    const key = `${record.benchmark}/${record.problemId}#${record.sampleIndex}`;
    const first = firstLine.get(key);
    if (first !== undefined)
      throw new Error(
        `${where}: sample ${key} is recorded twice (first on line ${first}); two runs wrote this file, so its records cannot be trusted: start over in a new output folder`,
      );
    firstLine.set(key, line);
    records.push(record);
  }
  return { records, validBytes: scan.keepBytes, tornTail: scan.torn !== null };
}

export interface RecordsAppender {
  append(records: readonly SampleRecord[]): void;
  close(): void;
}

/** The last byte of an open file, or null when it is empty. */
function lastByte(fd: number, size: number): number | null {
  if (size === 0) return null;
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, size - 1);
  return one[0] ?? null;
}

/**
 * Open for appending, first cutting the file back to its last complete record (and ending a last record that
 * lacks its newline with one, so the next record starts on a line of its own).
 */
export function openRecordsAppender(path: string, validBytes: number): RecordsAppender {
  if (existsSync(path)) truncateSync(path, validBytes);
  const fd = openSync(path, "a+");
  const write = (data: Buffer): void => {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    // On disk before the next sample is generated: a crash (or a lost machine) loses at most the one in flight.
    fsyncSync(fd);
  };
  const end = lastByte(fd, validBytes);
  if (end !== null && end !== 0x0a) write(Buffer.from("\n"));
  return {
    append(records) {
      if (records.length === 0) return;
      // One buffer, one write: with O_APPEND the lines land whole and together.
      write(Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(""), "utf8"));
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Rewrite records in the given (canonical) order. */
export function writeRecordsAtomic(path: string, records: readonly SampleRecord[]): void {
  writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
}
