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

import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { writeFileAtomic } from "@ssb/durable-files";
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
  if (typeof o.tokens !== "number") throw new Error(`${where}: field "tokens" must be a number`);
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
  if (!existsSync(path)) return { records: [], validBytes: 0, tornTail: false };
  const buffer = readFileSync(path);
  const records: SampleRecord[] = [];
  const firstLine = new Map<string, number>();
  // A byte-order mark (a records file saved by an editor) is skipped, not read as part of the first line.
  const bom = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  let start = bom;
  let line = 0;
  let validBytes = bom;
  while (start < buffer.length) {
    line++;
    const newline = buffer.indexOf(0x0a, start);
    const end = newline < 0 ? buffer.length : newline;
    // Only a line without its newline can be torn: each record goes out with its newline in one write, so a
    // bad line that has one (a hand edit gone wrong) is an error naming it, never cut off.
    const torn = newline < 0;
    const text = buffer.subarray(start, end).toString("utf8");
    if (text.trim() !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        if (torn) return { records, validBytes, tornTail: true };
        throw new Error(`${path}:${line}: not valid JSON (${(error as Error).message})`);
      }
      // A prefix of a record that parses is the whole record, so a last line that parses is kept even without
      // its newline, and one that parses but is not a record is an error like any other bad line.
      const record = parseRecord(parsed, `${path}:${line}`);
      const key = `${record.benchmark}/${record.problemId}#${record.sampleIndex}`;
      const first = firstLine.get(key);
      if (first !== undefined)
        throw new Error(
          `${path}:${line}: sample ${key} is recorded twice (first on line ${first}); two runs wrote this file, so its records cannot be trusted: start over in a new output folder`,
        );
      firstLine.set(key, line);
      records.push(record);
    }
    start = end + 1;
    validBytes = Math.min(start, buffer.length);
  }
  return { records, validBytes, tornTail: false };
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
