/**
 * The resumable output file: one JSON rollout per line, appended and fsynced, so a job killed at any
 * moment loses at most the line being written. Reopening reads what is there, drops a torn last line,
 * and reports which (problem, sample) pairs are done; appending a pair that is already there is refused,
 * so reruns never duplicate. A settings file beside it makes a rerun with other settings an error instead
 * of a file that mixes two runs.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { RolloutError } from "./errors.js";

export interface RolloutRecord {
  problemId: string;
  sampleIndex: number;
  text: string;
  tokenIds: number[];
  finishReason: "stop" | "length";
  prompt?: { role: string; content: string }[];
  promptTokens: number;
  sampling: Record<string, unknown>;
  seed: number;
  modelId: string;
  logitKey?: string;
}

export const pairKey = (problemId: string, sampleIndex: number): string => `${problemId}\u0000${sampleIndex}`;

export interface RolloutJournal {
  readonly file: string;
  /** Pairs already written (by this or an earlier run). */
  has(problemId: string, sampleIndex: number): boolean;
  readonly size: number;
  /** Append records (one write + fsync); pairs already present are skipped and counted. */
  append(records: readonly RolloutRecord[]): number;
  close(): void;
}

/** Write `text` to `file` atomically: temp file, fsync, rename. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Open (create) a rollout file. `settings` is stored in `<file>.settings.json` on first use and must match on
 * every later open.
 */
export function openRolloutJournal(file: string, settings: Record<string, unknown>): RolloutJournal {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const settingsFile = `${file}.settings.json`;
  const wanted = JSON.stringify(settings, null, 2);
  if (existsSync(settingsFile)) {
    const found = readFileSync(settingsFile, "utf8").trim();
    if (found !== wanted.trim()) {
      throw new RolloutError(
        `${file}: this output was written with other settings (${settingsFile}); use a new --out or delete both files.\nfound:   ${found.replace(/\s+/g, " ")}\nwanted:  ${wanted.replace(/\s+/g, " ")}`,
      );
    }
  } else if (existsSync(file) && readFileSync(file).length > 0) {
    throw new RolloutError(
      `${file}: exists without ${path.basename(settingsFile)}; refusing to append to an unknown file`,
    );
  } else {
    writeFileAtomic(settingsFile, `${wanted}\n`);
  }

  const done = new Set<string>();
  let keep = 0;
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    let start = 0;
    let line = 0;
    while (start < bytes.length) {
      const nl = bytes.indexOf(10, start);
      line++;
      if (nl < 0) break; // torn last line (the writer died mid-write): dropped below
      const text = bytes.subarray(start, nl).toString("utf8");
      if (text.trim() !== "") {
        let rec: unknown;
        try {
          rec = JSON.parse(text);
        } catch (e) {
          throw new RolloutError(
            `${file}:${line}: not valid JSON (${e instanceof Error ? e.message : String(e)})`,
          );
        }
        const r = rec as Partial<RolloutRecord>;
        if (typeof r.problemId !== "string" || !Number.isInteger(r.sampleIndex)) {
          throw new RolloutError(
            `${file}:${line}: expected "problemId" (string) and "sampleIndex" (integer)`,
          );
        }
        const key = pairKey(r.problemId, r.sampleIndex as number);
        if (done.has(key))
          throw new RolloutError(
            `${file}:${line}: duplicate record for ${r.problemId} sample ${r.sampleIndex}`,
          );
        done.add(key);
      }
      start = nl + 1;
      keep = start;
    }
  }
  const fd = openSync(file, existsSync(file) ? "r+" : "w+");
  ftruncateSync(fd, keep);
  let position = keep;
  let closed = false;
  return {
    file,
    has: (problemId, sampleIndex) => done.has(pairKey(problemId, sampleIndex)),
    get size() {
      return done.size;
    },
    append(records) {
      if (closed) throw new RolloutError(`${file}: journal is closed`);
      let text = "";
      let skipped = 0;
      for (const r of records) {
        const key = pairKey(r.problemId, r.sampleIndex);
        if (done.has(key)) {
          skipped++;
          continue;
        }
        done.add(key);
        text += `${JSON.stringify(r)}\n`;
      }
      if (text !== "") {
        const buf = Buffer.from(text, "utf8");
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
        position += buf.length;
        fsyncSync(fd);
      }
      return skipped;
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
