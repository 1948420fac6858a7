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
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import {
  acquirePidLock,
  LockError,
  makeFolders,
  readJsonlFile,
  removeEmptyFolders,
  repairJsonlTail,
  stripBom,
  writeFileAtomic,
} from "@ssb/durable-files";
import { LogitStoreError } from "@ssb/logit-store";
import { RolloutError } from "./errors.js";

/** What the journal itself reads of a record: its (problem, sample) pair and, when present, prompt fingerprint. */
export interface JournalRecord {
  problemId: string;
  sampleIndex: number;
  /** Fingerprint of the prompt's token ids (see promptFingerprint): a rerun refuses a changed prompt. */
  promptHash?: string;
  /**
   * Fingerprint of what this pair alone was sampled with, beyond the job's settings (a teacher request's own
   * sampling and seed): a rerun refuses a pair asked for with other ones.
   */
  requestHash?: string;
}

export interface RolloutRecord extends JournalRecord {
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

/** What an output already holds, for a job's checks before it resumes (see JournalOptions.checkStored). */
export interface StoredPairs {
  /** Records per problem id. */
  readonly perProblem: ReadonlyMap<string, number>;
  /** The record with the largest sample index (the first such one), and its line. */
  readonly largestSample: { problemId: string; sampleIndex: number; line: number } | null;
  /** The stored settings (none when this open creates the output). */
  readonly settings: Record<string, unknown> | null;
  /** The prompt fingerprint (`promptHash`) of each problem's first record that carries one, and its line. */
  readonly prompts: ReadonlyMap<string, StoredPrompt>;
}

export interface RolloutJournal {
  readonly file: string;
  /** What the output held when it was opened. */
  readonly stored: StoredPairs;
  /** Pairs already written (by this or an earlier run). */
  has(problemId: string, sampleIndex: number): boolean;
  /** The prompt fingerprint (`promptHash`) of the problem's first record, if its records carry one. */
  storedPrompt(problemId: string): StoredPrompt | undefined;
  /** The pair's `requestHash` and its line, if its record carries one. */
  storedRequest(problemId: string, sampleIndex: number): StoredPrompt | undefined;
  readonly size: number;
  /** Append records (one write + fsync); pairs already present are skipped and counted. */
  append(records: readonly JournalRecord[]): number;
  /**
   * Rewrite the file (temp file, fsync, rename) with its lines in canonical order: problems by `rank` (those
   * it does not know after them, as they were), then sample index. A job calls it when it completes, so a run
   * that was killed and resumed ends with the same bytes as one that never stopped (the resumed pairs were
   * generated in other batches, so they finished in another order).
   */
  sortLines(rank: (problemId: string) => number | undefined): void;
  close(): void;
  /**
   * Close; and when this open created the output and nothing was appended, remove it and its settings file,
   * so a job refused before its first record (a locked or mismatched logit store) does not pin its settings.
   */
  discardIfUnused(): void;
}

export interface JournalOptions {
  /**
   * Settings that may differ from the stored ones without mixing two runs (the sample count: each sample has
   * its own random stream, so more samples only add records); the settings file is updated to the new value.
   */
  mayChange?: readonly string[];
  /**
   * Settings fields older versions did not write: a stored file without them is taken as theirs and they are
   * added. A stored file lacking any other field of the settings is refused (it was not written for this job).
   */
  addedLater?: readonly string[];
  /** Told what reopening repaired (a torn last line it dropped), naming file and line (default: console.warn). */
  warn?: (message: string) => void;
  /**
   * Settings a resume may change that the output must still tell about (the execution provider: records from
   * two providers are samples of the same model, but not the bytes one of them would have written). The stored
   * value becomes the list of values the output was written with, in order; a resume with a new one appends
   * it and `warn` gets the line this function makes from the stored list and the new value.
   */
  history?: Readonly<Record<string, (stored: readonly unknown[], wanted: unknown) => string>>;
  /**
   * Called with what the output holds once it is read and before its settings file is updated: a throw
   * refuses the resume and leaves the output and its settings as they were.
   */
  checkStored?: (stored: StoredPairs) => void;
  /**
   * Fields compared by meaning rather than by their JSON (stop strings in another order): when `same` says
   * they match, the stored value stays in the settings file, and the job resumes with it (`stored.settings`).
   */
  sameValue?: Readonly<Record<string, (stored: unknown, wanted: unknown) => boolean>>;
  /**
   * Fields that may differ while another field, stored, is equal (`modelId` while `modelFingerprint` is: a
   * copied or renamed export folder); the stored value stays, and the job resumes under it.
   */
  keptWhenSame?: Readonly<Record<string, string>>;
}

/** The fields of `wanted` whose stored value stays although its JSON differs (see sameValue, keptWhenSame). */
function keptFields(
  found: Record<string, unknown>,
  wanted: Record<string, unknown>,
  sameValue: NonNullable<JournalOptions["sameValue"]>,
  keptWhenSame: NonNullable<JournalOptions["keptWhenSame"]>,
): string[] {
  const json = (v: unknown): string | undefined => JSON.stringify(v);
  return Object.keys(wanted).filter((key) => {
    if (!(key in found) || json(found[key]) === json(wanted[key])) return false;
    const same = sameValue[key];
    if (same?.(found[key], wanted[key])) return true;
    const guard = keptWhenSame[key];
    return guard !== undefined && guard in found && json(found[guard]) === json(wanted[guard]);
  });
}

/** Where the stored prompt of a problem was seen: its fingerprint and the line that first held it. */
export interface StoredPrompt {
  hash: string;
  line: number;
}

/**
 * Open (create) a rollout file. `settings` is stored in `<file>.settings.json` on first use and must match on
 * every later open, field by field; a field named in `addedLater` that the stored settings lack (written by an
 * older version) is added, and fields named in `mayChange` are updated. A stored file that is not a JSON object
 * holding every other field is refused, naming it.
 */
export function openRolloutJournal(
  file: string,
  settings: Record<string, unknown>,
  options: JournalOptions = {},
): RolloutJournal {
  try {
    return openJournal(
      file,
      settings,
      options.mayChange ?? [],
      options.addedLater ?? [],
      options.warn ?? ((m) => console.warn(m)),
      options.history ?? {},
      options.checkStored ?? (() => {}),
      options.sameValue ?? {},
      options.keptWhenSame ?? {},
    );
  } catch (e) {
    if (e instanceof RolloutError || e instanceof LogitStoreError) throw e;
    // Another job holds it (in another process, or in this one): the message names the output, the holder
    // and the lock file already.
    if (e instanceof LockError) throw new RolloutError(e.message);
    const why = e instanceof Error ? e.message : String(e);
    throw new RolloutError(`${file}: cannot open the rollout output (${why})`);
  }
}

/** What a history starts with when an output written before the field existed already holds records. */
const UNRECORDED = "unknown";

/**
 * The settings to store on a resume: `wanted`, with each `history` field the list of values the output has
 * been written with (one value alone stays a plain value), the new one appended and said through `warn` when
 * it differs from the last. A field an older output lacks starts its history now: after `"unknown"` when the
 * output already holds records (which value wrote them was never stored), else with the new value alone.
 */
function withHistory(
  found: Record<string, unknown>,
  wanted: Record<string, unknown>,
  history: NonNullable<JournalOptions["history"]>,
  warn: (message: string) => void,
  holdsRecords: boolean,
): Record<string, unknown> {
  const stored: Record<string, unknown> = { ...wanted };
  for (const [key, say] of Object.entries(history)) {
    if (!(key in wanted)) continue;
    if (!(key in found)) {
      stored[key] = holdsRecords ? [UNRECORDED, wanted[key]] : wanted[key];
      continue;
    }
    const before = Array.isArray(found[key]) ? (found[key] as unknown[]) : [found[key]];
    const now = wanted[key];
    const last = before.at(-1);
    const values =
      before.length > 0 && JSON.stringify(last) === JSON.stringify(now) ? before : [...before, now];
    if (values.length > before.length && before.length > 0) warn(say(before, now));
    stored[key] = values.length === 1 ? values[0] : values;
  }
  return stored;
}

/** The fields whose values differ, as "name: stored -> wanted" lines (`mayChange` and added ones left out). */
function settingsDiff(
  found: Record<string, unknown>,
  wanted: Record<string, unknown>,
  mayChange: readonly string[],
): string[] {
  const lines: string[] = [];
  for (const key of new Set([...Object.keys(found), ...Object.keys(wanted)])) {
    if (mayChange.includes(key) || !(key in found)) continue; // updated / added: recorded by the caller
    const a = JSON.stringify(found[key]);
    const b = JSON.stringify(wanted[key]);
    if (a !== b) lines.push(`  ${key}: ${a ?? "(none)"} -> ${b ?? "(none)"}`);
  }
  return lines;
}

function openJournal(
  file: string,
  settings: Record<string, unknown>,
  mayChange: readonly string[],
  addedLater: readonly string[],
  warn: (message: string) => void,
  history: NonNullable<JournalOptions["history"]>,
  checkStored: (stored: StoredPairs) => void,
  sameValue: NonNullable<JournalOptions["sameValue"]>,
  keptWhenSame: NonNullable<JournalOptions["keptWhenSame"]>,
): RolloutJournal {
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new RolloutError(
      `${file}: is a folder; the output is a JSONL file beside its settings and lock files (give a file path, e.g. ${path.join(file, "rollouts.jsonl")})`,
    );
  }
  const dir = path.dirname(path.resolve(file));
  let made: string | undefined;
  try {
    made = makeFolders(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EEXIST" && code !== "ENOTDIR") throw e;
    throw new RolloutError(
      `${file}: cannot create its folder ${dir}: a part of that path is a file, not a folder`,
    );
  }
  // One job per output, in this process or another: a second one appending to the same file would write
  // every pair twice, or (in one process) over the first one's records at the same offsets.
  let release: () => void;
  try {
    release = acquirePidLock(`${file}.lock`, file, "rollout job");
  } catch (e) {
    removeFolders(dir, made);
    throw e;
  }
  // A job refused before its first record leaves no folder behind either (see discardIfUnused).
  const releaseAll = (discard: boolean): void => {
    release();
    if (discard) removeFolders(dir, made);
  };
  try {
    return openLocked(file, settings, mayChange, addedLater, releaseAll, warn, history, checkStored, [
      sameValue,
      keptWhenSame,
    ]);
  } catch (e) {
    releaseAll(true);
    throw e;
  }
}

/** Remove the folders makeFolders made for `dir` (`made`: the outermost), while they are empty. */
function removeFolders(dir: string, made: string | undefined): void {
  if (made !== undefined) removeEmptyFolders(dir, made);
}

/**
 * One parsed line of the output as a record: its pair and fingerprints. Anything but an object with
 * `problemId` and `sampleIndex` is refused naming `where` (file:line).
 */
function recordFields(value: unknown, where: string): Partial<RolloutRecord> {
  const r = value as Partial<RolloutRecord> | null;
  if (
    typeof r !== "object" ||
    r === null ||
    typeof r.problemId !== "string" ||
    !Number.isInteger(r.sampleIndex)
  ) {
    throw new RolloutError(`${where}: expected "problemId" (string) and "sampleIndex" (integer)`);
  }
  return r;
}

/**
 * The stored settings of `file`, checked to be a JSON object with every field of `settings` but those in
 * `addedLater`: `{}` or `[]` would otherwise match any job (no field differs), and `null` would fail deep
 * inside the comparison.
 */
function readStoredSettings(
  file: string,
  settingsFile: string,
  settings: Record<string, unknown>,
  addedLater: readonly string[],
): Record<string, unknown> {
  const remedy = `use a new --out, or delete ${settingsFile} together with ${file} to start this output over`;
  let found: unknown;
  try {
    found = JSON.parse(readFileSync(settingsFile, "utf8"));
  } catch (e) {
    throw new RolloutError(
      `${settingsFile}: not valid JSON (${e instanceof Error ? e.message : String(e)}); ${remedy}`,
    );
  }
  if (typeof found !== "object" || found === null || Array.isArray(found)) {
    const kind = found === null ? "null" : Array.isArray(found) ? "an array" : `a ${typeof found}`;
    throw new RolloutError(
      `${settingsFile}: expected a JSON object of the job's settings, found ${kind}; the settings ${file} was written with are unknown: ${remedy}`,
    );
  }
  const stored = found as Record<string, unknown>;
  const missing = Object.keys(settings).filter((key) => !(key in stored) && !addedLater.includes(key));
  if (missing.length > 0) {
    throw new RolloutError(
      `${settingsFile}: lacks the field(s) ${missing.map((k) => `"${k}"`).join(", ")}, so the settings ${file} was written with are unknown (another kind of job, or an edited file): ${remedy}`,
    );
  }
  return stored;
}

/**
 * Remove the temp files of atomic writes (`<out>.tmp-<pid>`, `<out>.settings.json.tmp-<pid>`) that a job
 * killed mid-rewrite left: as large as the output itself, and never read. Called with the output's lock
 * held, so no live job is writing them.
 */
function removeStaleTemps(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  for (const name of readdirSync(dir)) {
    for (const stem of [base, `${base}.settings.json`]) {
      if (name.startsWith(`${stem}.tmp-`) && /^\d+$/.test(name.slice(stem.length + 5)))
        rmSync(path.join(dir, name), { force: true });
    }
  }
}

function openLocked(
  file: string,
  settings: Record<string, unknown>,
  mayChange: readonly string[],
  addedLater: readonly string[],
  /** Releases the lock; `discard` also removes the folders the open created (while empty). */
  release: (discard: boolean) => void,
  warn: (message: string) => void,
  history: NonNullable<JournalOptions["history"]>,
  checkStored: (stored: StoredPairs) => void,
  [sameValue, keptWhenSame]: [
    NonNullable<JournalOptions["sameValue"]>,
    NonNullable<JournalOptions["keptWhenSame"]>,
  ],
): RolloutJournal {
  const settingsFile = `${file}.settings.json`;
  removeStaleTemps(file);
  // Whether this open made the output (see discardIfUnused).
  let created = false;
  const wanted = `${JSON.stringify(settings, null, 2)}\n`;
  // A resume's updated settings are written once the records are read and checkStored has passed.
  let update: (() => void) | null = null;
  let foundSettings: Record<string, unknown> | null = null;
  if (existsSync(settingsFile)) {
    const found = readStoredSettings(file, settingsFile, settings, addedLater);
    foundSettings = found;
    const kept = keptFields(found, settings, sameValue, keptWhenSame);
    const diff = settingsDiff(found, settings, [...mayChange, ...Object.keys(history), ...kept]);
    if (diff.length > 0) {
      throw new RolloutError(
        `${file}: this output was written with other settings (${settingsFile}); use a new --out or delete both files. Stored -> now:\n${diff.join("\n")}`,
      );
    }
    update = () => {
      const holdsRecords = existsSync(file) && statSync(file).size > 0;
      const stored = withHistory(found, settings, history, warn, holdsRecords);
      for (const key of kept) stored[key] = found[key];
      if (JSON.stringify(found) !== JSON.stringify(stored))
        writeFileAtomic(settingsFile, `${JSON.stringify(stored, null, 2)}\n`);
    };
  } else if (existsSync(file) && readFileSync(file).length > 0) {
    throw new RolloutError(
      `${file}: exists without ${path.basename(settingsFile)}, so the settings its records were written with are unknown; refusing to append to it: use a new --out, or move ${file} away to start this output over`,
    );
  } else {
    writeFileAtomic(settingsFile, wanted);
    created = true;
  }

  const done = new Set<string>();
  const prompts = new Map<string, StoredPrompt>();
  const requests = new Map<string, StoredPrompt>();
  const perProblem = new Map<string, number>();
  let largestSample: StoredPairs["largestSample"] = null;
  // @ssb/durable-files' JSONL rules: a whole last record lacking only its newline is kept (and ended); a torn
  // last line (the writer died mid-write, so its pair was never counted as written) is dropped and its pair
  // generated again; a bad line with its newline is a hand edit, refused naming it.
  const scan = readJsonlFile(file, {
    badLine: (where, reason) => new RolloutError(`${where}: not valid JSON (${reason})`),
  });
  for (const { value, where, line } of scan.records) {
    const r = recordFields(value, where);
    const key = pairKey(r.problemId as string, r.sampleIndex as number);
    if (done.has(key))
      throw new RolloutError(`${where}: duplicate record for ${r.problemId} sample ${r.sampleIndex}`);
    done.add(key);
    const problemId = r.problemId as string;
    const sampleIndex = r.sampleIndex as number;
    perProblem.set(problemId, (perProblem.get(problemId) ?? 0) + 1);
    if (largestSample === null || sampleIndex > largestSample.sampleIndex)
      largestSample = { problemId, sampleIndex, line };
    if (typeof r.promptHash === "string" && !prompts.has(r.problemId as string))
      prompts.set(r.problemId as string, { hash: r.promptHash, line });
    if (typeof r.requestHash === "string") requests.set(key, { hash: r.requestHash, line });
  }
  const stored: StoredPairs = { perProblem, largestSample, settings: foundSettings, prompts };
  try {
    checkStored(stored);
  } catch (e) {
    if (created) rmSync(settingsFile, { force: true });
    throw e;
  }
  update?.();
  if (scan.torn !== null)
    warn(
      `${file}:${scan.torn.line}: dropped a torn last line (${scan.torn.bytes} bytes without a newline: a record cut off when a run stopped mid-write); its pair is generated again`,
    );
  let fd = openSync(file, existsSync(file) ? "r+" : "w+");
  const keep = repairJsonlTail(fd, scan);
  let position = keep;
  let closed = false;
  return {
    file,
    stored,
    has: (problemId, sampleIndex) => done.has(pairKey(problemId, sampleIndex)),
    storedPrompt: (problemId) => prompts.get(problemId),
    storedRequest: (problemId, sampleIndex) => requests.get(pairKey(problemId, sampleIndex)),
    get size() {
      return done.size;
    },
    append(records) {
      if (closed) throw new RolloutError(`${file}: journal is closed`);
      let text = "";
      let skipped = 0;
      const added = new Set<string>();
      for (const r of records) {
        const key = pairKey(r.problemId, r.sampleIndex);
        if (done.has(key) || added.has(key)) {
          skipped++;
          continue;
        }
        added.add(key);
        text += `${JSON.stringify(r)}\n`;
      }
      if (text !== "") {
        const buf = Buffer.from(text, "utf8");
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
        position += buf.length;
        fsyncSync(fd);
      }
      // Only once on disk: after a failed write (a full disk) the pairs are not "done", and appending them
      // again writes them over the partial bytes at `position`.
      for (const key of added) done.add(key);
      return skipped;
    },
    sortLines(rank) {
      if (closed) throw new RolloutError(`${file}: journal is closed`);
      // A byte-order mark (an output saved by an editor, read past on open) is not part of line 1's record.
      const text = stripBom(readFileSync(file).subarray(0, position).toString("utf8"));
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      const keyed = lines.map((line, index) => {
        const r = JSON.parse(line) as JournalRecord;
        return { line, index, rank: rank(r.problemId) ?? Number.POSITIVE_INFINITY, sample: r.sampleIndex };
      });
      keyed.sort((a, b) =>
        a.rank !== b.rank
          ? a.rank - b.rank
          : a.rank === Number.POSITIVE_INFINITY
            ? a.index - b.index
            : a.sample - b.sample || a.index - b.index,
      );
      if (keyed.every((k, i) => k.index === i)) return; // already in order: nothing to write
      const sorted = keyed.map((k) => `${k.line}\n`).join("");
      closeSync(fd);
      try {
        writeFileAtomic(file, sorted);
        position = Buffer.byteLength(sorted, "utf8");
      } finally {
        fd = openSync(file, "r+"); // the new file, or the old one, untouched, when the rewrite failed
      }
    },
    close() {
      if (!closed) {
        closeSync(fd);
        release(false);
      }
      closed = true;
    },
    discardIfUnused() {
      const unused = created && position === 0;
      if (!closed) closeSync(fd);
      if (unused) {
        rmSync(file, { force: true });
        rmSync(settingsFile, { force: true });
      }
      if (!closed) release(unused);
      closed = true;
    },
  };
}
