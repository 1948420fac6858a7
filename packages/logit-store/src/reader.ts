import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Data, RecordBatch } from "apache-arrow";
import { type ColumnName, columnNames, type LogitLayout, logitLayout } from "./arrow-schema.js";
import { LogitStoreError } from "./errors.js";
import { decodeLogitSteps } from "./logit-steps.js";
import { type ExampleEntry, type Manifest, manifestPath, readManifest, shardPath } from "./manifest.js";
import type { LogitSchemaMeta } from "./schema-meta.js";
import { ShardReader } from "./shard-reader.js";
import { type BatchColumns, checkStoredRows } from "./stored-rows.js";
import { appendTokenRows, ColumnBuffers } from "./token-rows.js";
import { enableZstd, zstdEnabled } from "./zstd.js";

/**
 * One example's rows as typed-array views into the decoded record batch (no copy). Flat arrays are row-major:
 * entry j of token i is at [i * k + j]. The views keep their batch's buffer alive while referenced. Float16
 * logits of format-2 stores are decoded from their steps once per record batch, into one buffer that the views
 * of all that batch's examples share.
 */
export interface ExampleLogits {
  exampleId: string;
  /** Number of tokens (rows). */
  length: number;
  k: number;
  dtype: LogitSchemaMeta["dtype"];
  positions: Int32Array;
  tokenIds: Int32Array;
  topkIds: Int32Array;
  /** Float32Array for float32 stores; float16 bits (decode with float16BitsToFloat32Array) for float16 ones. */
  topkLogits: Float32Array | Uint16Array;
  logSumExp: Float32Array;
}

export interface OpenLogitStoreOptions {
  /** Verify each record batch's CRC-32 against the manifest when it is read (default true). */
  verifyChecksums?: boolean;
  /**
   * Check each record batch's rows when it is decoded (default true): ids and token ids in [0, vocabSize),
   * positions >= 0, logits sorted descending and not NaN, a finite log-sum-exp in [top logit, top logit +
   * ln(vocabSize)], no nulls. These matter for stores written by other programs (see stored-rows.ts); the
   * README gives their cost.
   */
  verifyRows?: boolean;
}

/** True when `dir` holds a store (its manifest), without reading or changing anything. */
export function logitStoreExists(dir: string): boolean {
  return existsSync(manifestPath(resolve(dir)));
}

/** Opens a store for reading: a snapshot of its manifest at this moment (a running writer may add shards later). */
export async function openLogitStore(dir: string, options: OpenLogitStoreOptions = {}): Promise<LogitStore> {
  const store = new LogitStore(resolve(dir), options);
  if (store.compressions().includes("zstd") && !zstdEnabled()) await enableZstd();
  return store;
}

export class LogitStore {
  readonly meta: LogitSchemaMeta;
  private readonly manifest: Manifest;
  private readonly byId: Map<string, ExampleEntry>;
  private readonly shards = new Map<number, ShardReader>();
  private readonly verify: boolean;
  private readonly verifyRows: boolean;
  private readonly layout: LogitLayout;
  private readonly col: (name: ColumnName) => number;
  /** The last record batch read, and (format 2 float16) its logits decoded to float16 bits once for all views. */
  private cached: { shard: number; batch: number; data: RecordBatch; logits?: Uint16Array } | undefined;

  constructor(
    readonly dir: string,
    options: OpenLogitStoreOptions,
  ) {
    if (!existsSync(manifestPath(dir))) {
      // A shard or the manifest itself given instead of its folder: say which folder to give.
      if (statSync(dir, { throwIfNoEntry: false })?.isFile()) {
        throw new LogitStoreError(
          `${dir}: is a file, not a logit store; a store is a folder (give the folder that holds manifest.json and the shards: ${dirname(resolve(dir))})`,
        );
      }
      throw new LogitStoreError(`${dir}: not a logit store (no ${manifestPath(dir)})`);
    }
    const manifest = readManifest(dir);
    if (!manifest) throw new LogitStoreError(`${dir}: not a logit store`);
    this.manifest = manifest;
    this.meta = manifest.meta;
    this.byId = new Map(manifest.examples.map((e) => [e.id, e]));
    this.verify = options.verifyChecksums ?? true;
    this.verifyRows = options.verifyRows ?? true;
    this.layout = logitLayout(this.meta);
    const names = columnNames(this.meta);
    this.col = (name) => names.indexOf(name);
    // Reject a manifest that names files outside the directory before touching any of them, and catch
    // missing or truncated shards now (a stat each) rather than in the middle of a training run.
    for (const s of manifest.shards) {
      const path = shardPath(dir, s.file, manifestPath(dir));
      const size = existsSync(path) ? statSync(path).size : -1;
      if (size < 0) throw new LogitStoreError(`${path}: listed in the manifest but missing`);
      if (size !== s.bytes) {
        throw new LogitStoreError(
          `${path}: ${size} bytes on disk but the manifest records ${s.bytes} (truncated or modified)`,
        );
      }
    }
  }

  /** Example ids in the order they were written. */
  examples(): string[] {
    return this.manifest.examples.map((e) => e.id);
  }

  get size(): number {
    return this.manifest.examples.length;
  }

  /** Compression codecs used by the store's shards. */
  compressions(): string[] {
    return [
      ...new Set(this.manifest.shards.map((s) => s.compression).filter((c): c is string => c !== null)),
    ];
  }

  /** Total rows (tokens) in the store. */
  get rows(): number {
    return this.manifest.shards.reduce((s, x) => s + x.rows, 0);
  }

  has(exampleId: string): boolean {
    return this.byId.has(exampleId);
  }

  /** Where an example lies (shard file, record batch, row range), as recorded in the manifest. */
  locate(exampleId: string): (ExampleEntry & { file: string }) | undefined {
    const e = this.byId.get(exampleId);
    return e && { ...e, file: this.manifest.shards[e.shard]!.file };
  }

  /** Reads one example by id (one record batch read through the manifest and the shard's footer). */
  read(exampleId: string): ExampleLogits {
    const entry = this.byId.get(exampleId);
    if (!entry)
      throw new LogitStoreError(`${this.dir}: no example ${JSON.stringify(exampleId)} in the store`);
    return this.view(entry);
  }

  /** All examples in write order; each record batch is read once. */
  *iterate(): Generator<ExampleLogits> {
    for (const e of this.manifest.examples) yield this.view(e);
  }

  [Symbol.iterator](): Generator<ExampleLogits> {
    return this.iterate();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ExampleLogits> {
    for (const e of this.manifest.examples) yield this.view(e);
  }

  /**
   * Reads every record batch, checking checksums and row ranges, and checks every example's rows as the writer
   * checks new ones (including the log-sum-exp against the top-k logits' own, and repeated ids and positions),
   * which a store written by another program has not been through; throws on the first problem.
   */
  verifyAll(): void {
    this.manifest.shards.forEach((s, i) => {
      for (let b = 0; b < s.batches.length; b++) this.batch(i, b);
    });
    const scratch = new ColumnBuffers(this.meta.k, this.meta.dtype, 1);
    for (const e of this.manifest.examples) {
      const ex = this.view(e);
      scratch.clear();
      const where = `${this.shardFile(e)}: record batch ${e.batch}, example ${JSON.stringify(e.id)}`;
      appendTokenRows(scratch, ex, this.meta, where);
    }
  }

  close(): void {
    for (const s of this.shards.values()) s.close();
    this.shards.clear();
    this.cached = undefined;
  }

  private shard(index: number): ShardReader {
    let r = this.shards.get(index);
    if (!r) {
      const entry = this.manifest.shards[index]!;
      r = new ShardReader(
        shardPath(this.dir, entry.file, manifestPath(this.dir)),
        entry,
        this.meta,
        this.verify,
      );
      this.shards.set(index, r);
    }
    return r;
  }

  private batch(shard: number, batch: number): NonNullable<LogitStore["cached"]> {
    const c = this.cached;
    if (c && c.shard === shard && c.batch === batch) return c;
    const data = this.shard(shard).readBatch(batch);
    const fresh = { shard, batch, data };
    if (this.verifyRows) this.checkRows(fresh);
    this.cached = fresh;
    return this.cached;
  }

  private shardFile(e: { shard: number }): string {
    return shardPath(this.dir, this.manifest.shards[e.shard]!.file, manifestPath(this.dir));
  }

  /** The row checks of stored-rows.ts over a freshly decoded batch. */
  private checkRows(cached: NonNullable<LogitStore["cached"]>): void {
    const batch = cached.data;
    const n = batch.numRows;
    const k = this.meta.k;
    const where = `${this.shardFile(cached)}: record batch ${cached.batch}`;
    const col = (name: ColumnName): Data => this.column(batch, name, where);
    const plain = <T extends Int32Array | Float32Array>(d: Data): T =>
      (d.values as T).subarray(d.offset, d.offset + n) as T;
    const child = (name: ColumnName): Data => col(name).children[0]!;
    const cols: BatchColumns = {
      rows: n,
      positions: plain(col("position")),
      tokenIds: plain(col("tokenId")),
      topkIds: (child("topkIds").values as Int32Array).subarray(
        child("topkIds").offset,
        child("topkIds").offset + n * k,
      ),
      topkLogits:
        this.layout === "steps"
          ? this.decodedLogits(cached)
          : (child("topkLogits").values as Float32Array | Uint16Array).subarray(
              child("topkLogits").offset,
              child("topkLogits").offset + n * k,
            ),
      logSumExp: plain(col("logSumExp")),
    };
    const ids = col("exampleId");
    const exampleAt = (row: number) => exampleIdAt(ids, row);
    // Nulls first: the format has none, but pyarrow makes nullable fields by default, and a null reads as
    // whatever its slot holds (a log-sum-exp of 0, say), which the value checks would then misreport.
    for (const name of columnNames(this.meta)) {
      const data = col(name);
      const values = data.children[0] ?? data;
      for (const [d, width] of [
        [data, 1],
        [values, data === values ? 1 : k],
      ] as const) {
        if (d.nullCount === 0) continue;
        for (let i = 0; i < d.length; i++) {
          if (d.getValid(i)) continue;
          const row = Math.floor(i / width);
          const entry = d === data ? "" : ` entry ${i % width}`;
          throw new LogitStoreError(
            `${where} row ${row} (example ${JSON.stringify(exampleAt(row))}): column ${JSON.stringify(name)}${entry} is null; the format has no nulls (every value must be present)`,
          );
        }
      }
    }
    checkStoredRows(cols, this.meta, this.layout, where, exampleAt);
  }

  private column(batch: RecordBatch, name: ColumnName, where: string): Data {
    const i = this.col(name);
    const child = batch.getChildAt(i);
    // The writer never splits a batch's column into chunks, so each column is one Data.
    if (!child || child.data.length !== 1)
      throw new LogitStoreError(`${where}: unexpected layout in column ${JSON.stringify(name)}`);
    return child.data[0]!;
  }

  /** Format 2 float16 logits of a whole batch as float16 bits, decoded on first use and kept with the batch. */
  private decodedLogits(cached: NonNullable<LogitStore["cached"]>): Uint16Array {
    if (cached.logits) return cached.logits;
    const batch = cached.data;
    const top = batch.getChildAt(this.col("topkLogitMax"))?.data[0];
    const steps = batch.getChildAt(this.col("topkLogitSteps"))?.data[0]?.children[0];
    if (!top || !steps)
      throw new LogitStoreError(`${this.shardFile(cached)}: unexpected layout in the logit columns`);
    const n = batch.numRows;
    const k = this.meta.k;
    try {
      cached.logits = decodeLogitSteps(
        (top.values as Uint16Array).subarray(top.offset, top.offset + n),
        (steps.values as Uint16Array).subarray(steps.offset, steps.offset + n * k),
        n,
        k,
      );
    } catch (err) {
      throw new LogitStoreError(
        `${this.shardFile(cached)}: record batch ${cached.batch}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return cached.logits;
  }

  private view(e: ExampleEntry): ExampleLogits {
    const cached = this.batch(e.shard, e.batch);
    const batch = cached.data;
    const { k, dtype } = this.meta;
    const start = e.batchRow;
    const end = start + e.rows;
    const col = (name: ColumnName): Data =>
      this.column(batch, name, `${this.shardFile(e)}: record batch ${e.batch}`);
    const flat = (name: ColumnName) => {
      const d = col(name);
      const child = d.children[0]!;
      return { values: child.values as Int32Array | Float32Array | Uint16Array, offset: child.offset };
    };
    const ids = col("exampleId");
    if (this.verifyRows) this.checkAllIds(ids, e);
    else {
      this.checkId(ids, start, e);
      this.checkId(ids, end - 1, e);
    }
    const pos = col("position");
    const tok = col("tokenId");
    const lse = col("logSumExp");
    const topIds = flat("topkIds");
    const topLogits =
      this.layout === "steps" ? { values: this.decodedLogits(cached), offset: 0 } : flat("topkLogits");
    return {
      exampleId: e.id,
      length: e.rows,
      k,
      dtype,
      positions: (pos.values as Int32Array).subarray(pos.offset + start, pos.offset + end),
      tokenIds: (tok.values as Int32Array).subarray(tok.offset + start, tok.offset + end),
      topkIds: (topIds.values as Int32Array).subarray(topIds.offset + start * k, topIds.offset + end * k),
      topkLogits: topLogits.values.subarray(topLogits.offset + start * k, topLogits.offset + end * k) as
        | Float32Array
        | Uint16Array,
      logSumExp: (lse.values as Float32Array).subarray(lse.offset + start, lse.offset + end),
    };
  }

  /**
   * Every row of the example's range must hold its id (byte for byte, without decoding): a store written by
   * another program may interleave examples or record wrong row counts, which first and last rows can miss.
   */
  private checkAllIds(ids: Data, e: ExampleEntry): void {
    const want = Buffer.from(e.id, "utf8");
    const offsets = ids.valueOffsets as Int32Array;
    const bytes = ids.values as Uint8Array;
    for (let row = e.batchRow; row < e.batchRow + e.rows; row++) {
      const from = offsets[ids.offset + row]!;
      const to = offsets[ids.offset + row + 1]!;
      let same = to - from === want.length;
      for (let j = 0; same && j < want.length; j++) same = bytes[from + j] === want[j];
      if (!same) this.checkId(ids, row, e);
    }
  }

  /** The example id stored in the row must be the one the manifest promises. */
  private checkId(ids: Data, row: number, e: ExampleEntry): void {
    if (e.rows === 0) return;
    const found = exampleIdAt(ids, row);
    if (found !== e.id) {
      throw new LogitStoreError(
        `${this.shardFile(e)}: ${manifestPath(this.dir)} says example ${JSON.stringify(e.id)} is at shard ${e.shard} record batch ${e.batch} row ${row}, but that row holds ${JSON.stringify(found)}`,
      );
    }
  }
}

/** The exampleId column's string at `row` of its batch. */
function exampleIdAt(ids: Data, row: number): string {
  const offsets = ids.valueOffsets as Int32Array;
  const bytes = ids.values as Uint8Array;
  const from = offsets[ids.offset + row]!;
  const to = offsets[ids.offset + row + 1]!;
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString("utf8");
}
