import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { acquirePidLock, LockError, removeEmptyFolders, writeFileAtomic } from "@ssb/durable-files";
import type { Schema } from "apache-arrow";
import { buildArrowSchema } from "./arrow-schema.js";
import { type CompressionName, compressionTypeFor } from "./compression.js";
import { LogitStoreError } from "./errors.js";
import { refuseUnknownFields } from "./known-fields.js";
import {
  type ExampleEntry,
  emptyManifest,
  type Manifest,
  manifestJson,
  manifestPath,
  readManifest,
  type ShardEntry,
  shardPath,
} from "./manifest.js";
import { buildRecordBatch, type ExampleSegment } from "./record-batch.js";
import {
  assertSameMeta,
  type LogitSchemaMeta,
  type LogitSchemaMetaInput,
  META_KEYS,
  validateMeta,
} from "./schema-meta.js";
import { ShardFileWriter } from "./shard-file-writer.js";
import { verifyShardFile } from "./shard-reader.js";
import {
  isStoreFile,
  JOURNAL_FILE,
  LOCK_FILE,
  PARTIAL_SUFFIX,
  shardFileName,
  shardIndexOf,
} from "./store-files.js";
import { appendTokenRows, ColumnBuffers, checkRowsShape, type TokenRows } from "./token-rows.js";
import { enableZstd, zstdEnabled } from "./zstd.js";

export interface LogitStoreWriterOptions {
  /**
   * Target size of one record batch in bytes (default 1 MiB). A batch is the unit of random access, so small
   * batches keep single-example reads fast; an example is never split across batches, so one longer than
   * this gets a batch of its own.
   */
  batchBytes?: number;
  /** A shard is completed (footer, fsync, rename) once it reaches this size (default 256 MiB). */
  shardBytes?: number;
  /**
   * Compress the IPC body buffers (default none). "zstd" loads the bundled codec (enableZstd); "lz4" needs a
   * codec registered with registerCompressionCodec. Shards stay standard Arrow IPC either way.
   */
  compression?: CompressionName | null;
  /**
   * The caller's own files that may share the folder of a store not made yet (a job's output written beside
   * its logits): without a manifest.json, a folder holding any file that is neither the store's nor one of
   * these is refused (see refuseForeignFolder).
   */
  ownFiles?: (name: string) => boolean;
}

export interface CloseResult {
  /** Examples that had rows appended but were never committed; they are not in the store. */
  unfinished: string[];
}

/** The fields openLogitStoreWriter takes (LogitSchemaMetaInput, LogitStoreWriterOptions); others are refused. */
const OPTION_FIELDS = [
  "batchBytes",
  "shardBytes",
  "compression",
  "ownFiles",
] as const satisfies readonly (keyof LogitStoreWriterOptions)[];

const DEFAULT_BATCH_BYTES = 1 << 20;
const DEFAULT_SHARD_BYTES = 256 << 20;
const openWriters = new Set<string>();

/**
 * Opens (creating when needed) a store directory for writing. An existing store must carry the same metadata.
 * Recovery happens here: partial shards left by a crash are deleted, and `writer.redo` lists the examples that
 * were started (or committed to a shard that never completed) and must be generated again.
 */
export async function openLogitStoreWriter(
  dir: string,
  meta: LogitSchemaMetaInput,
  options: LogitStoreWriterOptions = {},
): Promise<LogitStoreWriter> {
  if (options.compression === "zstd" && !zstdEnabled()) await enableZstd();
  return LogitStoreWriter.open(dir, meta, options);
}

export class LogitStoreWriter {
  /** Examples a previous, interrupted writer had started but that are not in the store: generate them again. */
  readonly redo: readonly string[];
  readonly meta: LogitSchemaMeta;
  readonly dir: string;

  private readonly manifest: Manifest;
  private readonly stored: Set<string>;
  private readonly schema: Schema;
  private readonly batchRows: number;
  private readonly shardBytes: number;
  private readonly compression: CompressionName | null;
  private readonly pending = new Map<string, ColumnBuffers>();
  private readonly batch: ColumnBuffers;
  private segments: ExampleSegment[] = [];
  /** Examples committed to the open (incomplete) shard. */
  private openExamples: ExampleEntry[] = [];
  private readonly openIds = new Set<string>();
  /** Examples in shards whose footer is written but which are not yet in the manifest. */
  private readonly finishingIds = new Set<string>();
  /** Index the open shard will have in manifest.shards (complete + finishing shards before it). */
  private shardSlot: number;
  private finishing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private shard: ShardFileWriter | undefined;
  private nextShardIndex: number;
  private journalFd: number;
  private closed = false;
  private readonly releaseLock: () => void;
  /** What this open made: the store (its manifest) and the folders (the first one made), for discardIfUnused. */
  private readonly made: MadeByOpen;
  /** Whether any example was committed through this writer. */
  private committedAny = false;

  private constructor(
    dir: string,
    meta: LogitSchemaMeta,
    manifest: Manifest,
    redo: string[],
    nextShardIndex: number,
    options: LogitStoreWriterOptions,
    releaseLock: () => void,
    made: MadeByOpen,
  ) {
    this.dir = dir;
    this.releaseLock = releaseLock;
    this.made = made;
    this.meta = meta;
    this.manifest = manifest;
    this.redo = redo;
    this.nextShardIndex = nextShardIndex;
    this.shardSlot = manifest.shards.length;
    this.stored = new Set(manifest.examples.map((e) => e.id));
    this.schema = buildArrowSchema(meta);
    this.compression = options.compression ?? null;
    if (this.compression) compressionTypeFor(this.compression); // fails early when no codec is registered
    const probe = new ColumnBuffers(meta.k, meta.dtype, 1);
    const batchBytes = positive(options.batchBytes ?? DEFAULT_BATCH_BYTES, "batchBytes");
    this.batchRows = Math.max(1, Math.floor(batchBytes / probe.bytesPerRow()));
    this.shardBytes = positive(options.shardBytes ?? DEFAULT_SHARD_BYTES, "shardBytes");
    this.batch = new ColumnBuffers(meta.k, meta.dtype, Math.min(this.batchRows, 1 << 16));
    // The journal lists examples started since the last completed shard; redo ids carry over until written.
    writeFileAtomic(join(dir, JOURNAL_FILE), redo.map((id) => `${JSON.stringify(id)}\n`).join(""));
    this.journalFd = openSync(join(dir, JOURNAL_FILE), "a");
  }

  static open(
    dirIn: string,
    metaIn: LogitSchemaMetaInput,
    options: LogitStoreWriterOptions,
  ): LogitStoreWriter {
    const dir = resolve(dirIn);
    refuseUnknownFields(metaIn, META_KEYS, "writer metadata");
    refuseUnknownFields(options, OPTION_FIELDS, "writer options");
    let meta = validateMeta(metaIn, "writer metadata");
    if (openWriters.has(dir)) throw new LogitStoreError(`${dir}: a writer is already open on this store`);
    refuseForeignFolder(dir, options.ownFiles);
    const made: MadeByOpen = { store: false, firstFolder: makeStoreDir(dir) };
    let release: (() => void) | undefined;
    try {
      release = storeLock(join(dir, LOCK_FILE), dir);
      let manifest = readManifest(dir);
      if (manifest) {
        // A writer that names no format version appends in the store's own (a format-1 store stays format 1).
        if (metaIn.formatVersion === undefined)
          meta = { ...meta, formatVersion: manifest.meta.formatVersion };
        assertSameMeta(manifest.meta, meta, `${manifestPath(dir)} vs writer metadata`);
      } else {
        // The manifest is written before any shard, so shards without one are damage, not a crash: recovery
        // would delete them as orphans.
        const shards = readdirSync(dir).filter(
          (name) => shardIndexOf(name) !== undefined && !name.endsWith(PARTIAL_SUFFIX),
        );
        if (shards.length > 0) {
          throw new LogitStoreError(
            `${dir}: holds ${shards.length} shard(s) (${shards[0]}${shards.length > 1 ? ", ..." : ""}) but no manifest.json; the store is damaged: restore its manifest.json or use another folder (nothing was changed)`,
          );
        }
        manifest = emptyManifest(meta);
        writeFileAtomic(manifestPath(dir), manifestJson(manifest));
        made.store = true;
      }
      const { redo, nextShardIndex } = recover(dir, manifest);
      const writer = new LogitStoreWriter(dir, meta, manifest, redo, nextShardIndex, options, release, made);
      openWriters.add(dir);
      return writer;
    } catch (e) {
      release?.();
      // A refused open (a bad writer option, say) leaves no store of its own making behind.
      removeMade(dir, made);
      throw e;
    }
  }

  /** Ids of examples with rows appended but not yet committed. */
  get pendingExamples(): string[] {
    return [...this.pending.keys()];
  }

  /** True when the example is committed (in a complete shard, or in the shard being written). */
  has(exampleId: string): boolean {
    return this.stored.has(exampleId) || this.openIds.has(exampleId) || this.finishingIds.has(exampleId);
  }

  /**
   * Appends rows (one or many tokens) to an example. Examples may be appended to in any interleaving, e.g. one
   * token for each sequence of a generation batch per step; each example's rows stay together in the file.
   */
  append(exampleId: string, rows: TokenRows): void {
    this.assertOpen();
    const where = `append(${JSON.stringify(exampleId)})`;
    const buf = this.pending.get(exampleId);
    if (buf) {
      appendTokenRows(buf, rows, this.meta, where);
      return;
    }
    this.checkNewId(exampleId, "append");
    checkRowsShape(rows, where);
    const fresh = new ColumnBuffers(this.meta.k, this.meta.dtype, Math.max(16, rows.tokenIds.length));
    appendTokenRows(fresh, rows, this.meta, where); // validates before the example exists anywhere
    // Journal before the example counts as started: if we crash from here on, it is reported for redo.
    appendFileSync(this.journalFd, `${JSON.stringify(exampleId)}\n`);
    this.pending.set(exampleId, fresh);
  }

  /**
   * Marks an example complete: its rows join the current record batch. It becomes durable when its shard
   * completes (by size, or at flush()/close()); a crash before that reports it in `redo`.
   */
  commitExample(exampleId: string): void {
    this.assertOpen();
    const buf = this.pending.get(exampleId);
    if (!buf) {
      const why = this.has(exampleId) ? "was already committed" : "has no appended rows";
      throw new LogitStoreError(`commitExample: example ${JSON.stringify(exampleId)} ${why}`);
    }
    if (buf.rows === 0) throw emptyExample("commitExample", exampleId);
    if (this.batch.rows > 0 && this.batch.rows + buf.rows > this.batchRows) this.flushBatch();
    const batchRow = this.batch.rows;
    this.batch.appendBuffers(buf);
    this.pending.delete(exampleId);
    this.addToBatch(exampleId, batchRow, buf.rows);
  }

  /** Appends all rows of an example and commits it. */
  writeExample(exampleId: string, rows: TokenRows): void {
    if (this.pending.has(exampleId)) {
      this.append(exampleId, rows);
      this.commitExample(exampleId);
      return;
    }
    // Fast path for a whole example: validate straight into the record batch, skipping the per-example buffer.
    this.assertOpen();
    this.checkNewId(exampleId, "writeExample");
    checkRowsShape(rows, `writeExample(${JSON.stringify(exampleId)})`);
    const n = rows.tokenIds.length;
    if (n === 0) throw emptyExample("writeExample", exampleId);
    if (this.batch.rows > 0 && this.batch.rows + n > this.batchRows) this.flushBatch();
    const batchRow = this.batch.rows;
    appendTokenRows(
      this.batch,
      rows,
      this.meta,
      `writeExample(${JSON.stringify(exampleId)})`,
      this.batch.rows,
    );
    appendFileSync(this.journalFd, `${JSON.stringify(exampleId)}\n`);
    this.addToBatch(exampleId, batchRow, n);
  }

  /** Records an example whose rows were just placed at `batchRow` of the current batch; rotates as needed. */
  private addToBatch(exampleId: string, batchRow: number, rows: number): void {
    this.committedAny = true;
    this.openExamples.push({
      id: exampleId,
      shard: this.shardSlot,
      batch: this.shard?.batches.length ?? 0,
      batchRow,
      shardRow: (this.shard?.rows ?? 0) + batchRow,
      rows,
    });
    this.openIds.add(exampleId);
    this.segments.push({ id: exampleId, rows });
    if (this.batch.rows >= this.batchRows) this.flushBatch();
    if (this.shard && this.shard.bytes >= this.shardBytes) this.completeShard();
  }

  private checkNewId(exampleId: string, op: string): void {
    if (typeof exampleId !== "string" || exampleId === "") {
      throw new LogitStoreError(
        `${op}: example id must be a non-empty string, found ${JSON.stringify(exampleId)}`,
      );
    }
    if (this.has(exampleId)) {
      throw new LogitStoreError(`${op}: example ${JSON.stringify(exampleId)} is already in the store`);
    }
  }

  /** Drops an uncommitted example's rows (it stays listed for redo if the writer crashes before the next shard). */
  abortExample(exampleId: string): void {
    this.assertOpen();
    this.pending.delete(exampleId);
  }

  /** Completes the current shard now; resolves once every example committed so far is durable. */
  async flush(): Promise<void> {
    this.assertOpen();
    this.completeShard();
    await this.finishing;
    this.throwIfFailed();
  }

  /** Completes the current shard and releases the store. Uncommitted examples are dropped and returned. */
  async close(): Promise<CloseResult> {
    if (this.closed) return { unfinished: [] };
    this.closed = true;
    if (!this.failure) this.completeShard();
    await this.finishing;
    const unfinished = this.pendingExamples;
    this.pending.clear();
    // The journal keeps the unfinished ids so a later writer reports them in `redo`.
    closeSync(this.journalFd);
    openWriters.delete(this.dir);
    // The release function, not a bare rm: it also drops the lock's process-exit handler (one per writer,
    // which piled up past Node's listener warning in a process that opens many stores).
    this.releaseLock();
    this.throwIfFailed();
    return { unfinished };
  }

  /**
   * Close; and when this open created the store (there was no manifest.json) and no example was committed,
   * remove the files it made and the folder(s) it made, so a job stopped or refused before its first example
   * leaves the folder as it found it and a rerun is a fresh start. A store that existed before is only closed.
   * Examples appended but never committed are dropped with it (returned, as by close).
   */
  async discardIfUnused(): Promise<CloseResult> {
    try {
      return await this.close();
    } finally {
      if (!this.committedAny) removeMade(this.dir, this.made);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LogitStoreError(`${this.dir}: the writer is closed`);
    this.throwIfFailed();
  }

  /** A failed background shard completion (fsync, rename, manifest) stops the writer: reopen to recover. */
  private throwIfFailed(): void {
    if (this.failure) {
      const why = this.failure instanceof Error ? this.failure.message : String(this.failure);
      throw new LogitStoreError(
        `${this.dir}: completing a shard failed (${why}); reopen the store to recover`,
      );
    }
  }

  private flushBatch(): void {
    if (this.batch.rows === 0) return;
    if (!this.shard) {
      const file = shardFileName(this.nextShardIndex);
      this.shard = new ShardFileWriter(
        join(this.dir, file),
        this.schema,
        compressionTypeFor(this.compression),
      );
    }
    this.shard.writeBatch(buildRecordBatch(this.schema, this.batch, this.segments));
    this.batch.clear();
    this.segments = [];
  }

  /**
   * Ends the open shard: footer now, then fsync + rename + manifest update in the background, chained so shards
   * reach the manifest in order. Examples stay in the journal until their shard is in the manifest.
   */
  private completeShard(): void {
    this.flushBatch();
    const shard = this.shard;
    if (!shard) return;
    const bytes = shard.writeFooter();
    const entry: ShardEntry = {
      file: shardFileName(this.nextShardIndex),
      bytes,
      rows: shard.rows,
      compression: this.compression,
      batches: shard.batches,
    };
    const examples = this.openExamples;
    for (const e of examples) this.finishingIds.add(e.id);
    this.openExamples = [];
    this.openIds.clear();
    this.shard = undefined;
    this.nextShardIndex++;
    this.shardSlot++;
    this.finishing = this.finishing.then(async () => {
      if (this.failure) return;
      try {
        await shard.commit();
        this.manifest.shards.push(entry);
        this.manifest.examples.push(...examples);
        writeFileAtomic(manifestPath(this.dir), manifestJson(this.manifest));
        for (const e of examples) {
          this.stored.add(e.id);
          this.finishingIds.delete(e.id);
        }
        this.rewriteJournal();
      } catch (e) {
        this.failure = e;
      }
    });
  }

  /** Keeps in the journal only examples not yet in the manifest. */
  private rewriteJournal(): void {
    const ids = new Set([...this.redo, ...this.finishingIds, ...this.openIds, ...this.pending.keys()]);
    for (const id of ids) if (this.stored.has(id)) ids.delete(id);
    closeSync(this.journalFd);
    writeFileAtomic(join(this.dir, JOURNAL_FILE), [...ids].map((id) => `${JSON.stringify(id)}\n`).join(""));
    this.journalFd = openSync(join(this.dir, JOURNAL_FILE), "a");
  }
}

/** Every stored example has at least one row, so each one lies inside a record batch. */
function emptyExample(op: string, exampleId: string): LogitStoreError {
  return new LogitStoreError(
    `${op}: example ${JSON.stringify(exampleId)} has no rows (at least one token is needed)`,
  );
}

/**
 * New shards extend the store the manifest describes, so a damaged shard must stop the writer here: otherwise a
 * resumed job keeps adding data for hours and the damage only shows when a trainer reads the shard. The size
 * check alone misses a flipped byte, hence the full read and every batch's CRC-32 (the cost is in the README).
 */
function checkShard(path: string, entry: ShardEntry, meta: LogitSchemaMeta): void {
  const refuse = (why: string): LogitStoreError =>
    new LogitStoreError(
      `${why}; a writer does not add to a damaged store, and nothing was changed (restore the shard, or write a new store in another folder)`,
    );
  if (!existsSync(path)) throw refuse(`${path}: listed in the manifest but missing`);
  try {
    verifyShardFile(path, entry, meta);
  } catch (e) {
    throw e instanceof LogitStoreError ? refuse(e.message) : e;
  }
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new LogitStoreError(`writer option ${name} must be > 0, found ${v}`);
  return v;
}

/**
 * Refuse a folder that holds files of something else and no store (another run's folder, a home folder given by
 * mistake): the store would be written among them, and recovery deletes what looks like its own leftovers. A new
 * or empty folder, or one holding only a store's own files (a writer that died before its manifest) and the
 * caller's (`ownFiles`), is taken. Read only: a refusal creates and changes nothing.
 */
function refuseForeignFolder(dir: string, ownFiles?: (name: string) => boolean): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory() || existsSync(manifestPath(dir))) return;
  // Hidden entries (`.gitkeep` keeping an empty folder in a repository, Finder's `.DS_Store`) mark a folder
  // as kept, not as holding data: a store is welcome beside them.
  const foreign = readdirSync(dir)
    .filter((name) => !name.startsWith(".") && !isStoreFile(name) && !(ownFiles?.(name) ?? false))
    .sort();
  if (foreign.length === 0) return;
  const named = foreign
    .slice(0, 3)
    .map((n) => JSON.stringify(n))
    .join(", ");
  throw new LogitStoreError(
    `${dir}: holds ${named}${foreign.length > 3 ? `, ... (${foreign.length} entries)` : ""} and no logit store (manifest.json); the store would be written among them: give a new folder or an existing store's (nothing was created or changed)`,
  );
}

/** What one open made: whether it wrote the manifest, and the first folder it created (undefined: none). */
interface MadeByOpen {
  store: boolean;
  firstFolder: string | undefined;
}

/**
 * Remove what an open made (see MadeByOpen): the manifest and journal of a store it created, then the folders
 * it created, innermost first, each only while empty (a file put there since stays, and so does its folder).
 */
function removeMade(dir: string, made: MadeByOpen): void {
  if (made.store) {
    rmSync(manifestPath(dir), { force: true });
    rmSync(join(dir, JOURNAL_FILE), { force: true });
  }
  if (made.firstFolder !== undefined) removeEmptyFolders(dir, made.firstFolder);
}

/**
 * Creates the store folder (and its parents); a path that is a file, or lies under one, is refused by name.
 * Returns the first folder it created (undefined when the folder was there).
 */
function makeStoreDir(dir: string): string | undefined {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new LogitStoreError(
      `${dir}: is a file, not a folder; a logit store is a folder (give a new or an existing store's folder)`,
    );
  }
  try {
    return mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new LogitStoreError(`${dir}: cannot create the store folder (${(e as Error).message})`);
  }
}

/**
 * Brings the directory back to the manifest's state: deletes partial shards and shards that completed but never
 * reached the manifest. First, before anything is deleted, every listed shard is verified in full (checkShard).
 */
function recover(dir: string, manifest: Manifest): { redo: string[]; nextShardIndex: number } {
  const listed = new Set(manifest.shards.map((s) => s.file));
  let maxIndex = -1;
  for (const s of manifest.shards) {
    checkShard(shardPath(dir, s.file, manifestPath(dir)), s, manifest.meta);
    maxIndex = Math.max(maxIndex, shardIndexOf(s.file) ?? -1);
  }
  for (const name of readdirSync(dir)) {
    const orphanShard = shardIndexOf(name) !== undefined && !listed.has(name);
    if (name.endsWith(PARTIAL_SUFFIX) || orphanShard || name.startsWith(`${JOURNAL_FILE}.tmp-`)) {
      rmSync(join(dir, name), { force: true });
    } else if (name.startsWith("manifest.json.tmp-")) {
      rmSync(join(dir, name), { force: true });
    }
  }
  const stored = new Set(manifest.examples.map((e) => e.id));
  const redo: string[] = [];
  const journal = join(dir, JOURNAL_FILE);
  if (existsSync(journal)) {
    const seen = new Set<string>();
    for (const line of readFileSync(journal, "utf8").split("\n")) {
      let id: unknown;
      try {
        id = JSON.parse(line);
      } catch {
        continue; // a line torn by the crash; its example was never written either
      }
      if (typeof id === "string" && !stored.has(id) && !seen.has(id)) {
        seen.add(id);
        redo.push(id);
      }
    }
  }
  return { redo, nextShardIndex: maxIndex + 1 };
}

/** The store's writer lock; a live holder is refused with a LogitStoreError, as every refusal of this package is. */
function storeLock(file: string, dir: string): () => void {
  try {
    return acquirePidLock(file, dir, "writer");
  } catch (error) {
    if (error instanceof LockError) throw new LogitStoreError(error.message);
    // The lock is the first file an open writes: a read-only folder (or a full disk) fails here, and the bare
    // EACCES named only the lock's temporary file, as a plain Error, where every refusal is a LogitStoreError.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === "string") {
      throw new LogitStoreError(
        `${dir}: cannot write in the store folder (${(error as Error).message}); a writer needs a folder it can write in (nothing was changed)`,
      );
    }
    throw error;
  }
}
