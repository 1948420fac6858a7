import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";
import { LogitStoreError } from "./errors.js";
import { type LogitSchemaMeta, validateMeta } from "./schema-meta.js";
import type { BatchLocation } from "./shard-file-writer.js";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "ssb-logit-store";

export interface ShardEntry {
  /** File name inside the store directory. */
  file: string;
  /** Size of the complete file; a different size on disk means truncation or tampering. */
  bytes: number;
  rows: number;
  /** "zstd" or "lz4" when the IPC body buffers are compressed, else null. */
  compression: string | null;
  batches: BatchLocation[];
}

export interface ExampleEntry {
  id: string;
  /** Index into `shards`. */
  shard: number;
  /** Index of the record batch (in the shard's file footer) that holds all of the example's rows. */
  batch: number;
  /** First row within that batch. */
  batchRow: number;
  /** First row within the whole shard (what a reader that concatenates the file's batches sees). */
  shardRow: number;
  rows: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  meta: LogitSchemaMeta;
  shards: ShardEntry[];
  examples: ExampleEntry[];
  /**
   * Fields the format does not define, at the top level and in `meta` (another writer's provenance, say): kept
   * as they were when the manifest is written again, so appending to a store loses none of them.
   */
  extra?: { top: Record<string, unknown>; meta: Record<string, unknown> };
}

const TOP_KEYS = new Set(["format", "formatVersion", "meta", "shards", "examples"]);

/** The manifest's JSON text: the format's fields, with `extra`'s fields put back where they were found. */
export function manifestJson(m: Manifest): string {
  const { extra, ...own } = m;
  if (!extra) return JSON.stringify(own);
  return JSON.stringify({ ...extra.top, ...own, meta: { ...extra.meta, ...own.meta } });
}

/** The keys of `o` that `known` lacks, with their values. */
function unknownFields(o: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([key]) => !known.has(key)));
}

export function emptyManifest(meta: LogitSchemaMeta): Manifest {
  return { format: MANIFEST_FORMAT, formatVersion: meta.formatVersion, meta, shards: [], examples: [] };
}

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

export function readManifest(dir: string): Manifest | undefined {
  const path = manifestPath(dir);
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    // A folder named manifest.json, or one the user may not read: Node's EISDIR/EACCES name no path.
    throw new LogitStoreError(`${path}: cannot read the manifest (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LogitStoreError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateManifest(json, path);
}

/** Resolves a shard file name, refusing anything that would leave the store directory. */
export function shardPath(dir: string, file: string, where: string): string {
  const norm = normalize(file);
  if (
    file === "" ||
    isAbsolute(file) ||
    norm.startsWith("..") ||
    norm.includes(sep) ||
    norm.includes("/") ||
    norm !== file
  ) {
    throw new LogitStoreError(
      `${where}: shard file ${JSON.stringify(file)} points outside the store directory`,
    );
  }
  return join(dir, norm);
}

/** Structural validation of a parsed manifest; every error names the manifest path and the field. */
export function validateManifest(json: unknown, where: string): Manifest {
  const obj = (v: unknown, at: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new LogitStoreError(`${where}: ${at} must be an object`);
    }
    return v as Record<string, unknown>;
  };
  const arr = (v: unknown, at: string): unknown[] => {
    if (!Array.isArray(v)) throw new LogitStoreError(`${where}: ${at} must be an array`);
    return v;
  };
  const nat = (v: unknown, at: string): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw new LogitStoreError(`${where}: ${at} must be a non-negative integer, found ${JSON.stringify(v)}`);
    }
    return v;
  };
  const root = obj(json, "the manifest");
  if (root.format !== MANIFEST_FORMAT) {
    throw new LogitStoreError(
      `${where}: field "format" should be ${JSON.stringify(MANIFEST_FORMAT)}, found ${JSON.stringify(root.format)}`,
    );
  }
  const meta = validateMeta(root.meta, `${where} field "meta"`);
  const shards: ShardEntry[] = arr(root.shards, '"shards"').map((s, i) => {
    const at = `shards[${i}]`;
    const o = obj(s, at);
    if (typeof o.file !== "string") throw new LogitStoreError(`${where}: ${at}.file must be a string`);
    shardPath(".", o.file, `${where} ${at}.file`);
    const compression = o.compression ?? null;
    if (compression !== null && compression !== "zstd" && compression !== "lz4") {
      throw new LogitStoreError(`${where}: ${at}.compression must be null, "zstd" or "lz4"`);
    }
    const bytes = nat(o.bytes, `${at}.bytes`);
    let rowSum = 0;
    const batches = arr(o.batches, `${at}.batches`).map((b, j): BatchLocation => {
      const bat = `${at}.batches[${j}]`;
      const bo = obj(b, bat);
      const loc: BatchLocation = {
        offset: nat(bo.offset, `${bat}.offset`),
        metaLength: nat(bo.metaLength, `${bat}.metaLength`),
        bodyLength: nat(bo.bodyLength, `${bat}.bodyLength`),
        rows: nat(bo.rows, `${bat}.rows`),
        crc32: nat(bo.crc32, `${bat}.crc32`),
      };
      if (loc.offset + loc.metaLength + loc.bodyLength > bytes) {
        throw new LogitStoreError(`${where}: ${bat} extends past the end of the shard (${bytes} bytes)`);
      }
      rowSum += loc.rows;
      return loc;
    });
    const rows = nat(o.rows, `${at}.rows`);
    if (rows !== rowSum) {
      throw new LogitStoreError(`${where}: ${at}.rows is ${rows} but its batches hold ${rowSum} rows`);
    }
    return { file: o.file, bytes, rows, compression, batches };
  });
  // The first row of each record batch within its shard.
  const batchStarts = shards.map((s) => {
    let at = 0;
    return s.batches.map((b) => {
      const start = at;
      at += b.rows;
      return start;
    });
  });
  const seen = new Set<string>();
  const examples: ExampleEntry[] = arr(root.examples, '"examples"').map((e, i) => {
    const at = `examples[${i}]`;
    const o = obj(e, at);
    if (typeof o.id !== "string") throw new LogitStoreError(`${where}: ${at}.id must be a string`);
    if (seen.has(o.id)) {
      // The usual cause in a store from another writer: an example split across two record batches.
      throw new LogitStoreError(
        `${where}: ${at}.id ${JSON.stringify(o.id)} appears twice; each example is listed once, with all its rows in one record batch`,
      );
    }
    seen.add(o.id);
    const entry: ExampleEntry = {
      id: o.id,
      shard: nat(o.shard, `${at}.shard`),
      batch: nat(o.batch, `${at}.batch`),
      batchRow: nat(o.batchRow, `${at}.batchRow`),
      shardRow: nat(o.shardRow, `${at}.shardRow`),
      rows: nat(o.rows, `${at}.rows`),
    };
    const shard = shards[entry.shard];
    if (!shard) throw new LogitStoreError(`${where}: ${at}.shard ${entry.shard} does not exist`);
    const batch = shard.batches[entry.batch];
    if (!batch) throw new LogitStoreError(`${where}: ${at}.batch ${entry.batch} does not exist in its shard`);
    if (entry.batchRow + entry.rows > batch.rows) {
      throw new LogitStoreError(
        `${where}: ${at} rows [${entry.batchRow}, ${entry.batchRow + entry.rows}) lie outside its batch of ${batch.rows} rows`,
      );
    }
    if (entry.rows === 0)
      throw new LogitStoreError(`${where}: ${at}.rows is 0; an example has at least one row`);
    // shardRow is redundant for this reader but is what readers that load a whole shard as one table use
    // (pyarrow's read_all), so a wrong one, from a writer in another language, must not pass silently.
    const shardRow = batchStarts[entry.shard]![entry.batch]! + entry.batchRow;
    if (entry.shardRow !== shardRow) {
      throw new LogitStoreError(
        `${where}: ${at}.shardRow is ${entry.shardRow}, but its batchRow ${entry.batchRow} in record batch ${entry.batch} is row ${shardRow} of the shard (the rows of the batches before it plus batchRow)`,
      );
    }
    return entry;
  });
  const top = unknownFields(root, TOP_KEYS);
  const metaExtra =
    typeof root.meta === "object" && root.meta !== null
      ? unknownFields(root.meta as Record<string, unknown>, new Set(Object.keys(meta)))
      : {};
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: meta.formatVersion,
    meta,
    shards,
    examples,
  };
  if (Object.keys(top).length > 0 || Object.keys(metaExtra).length > 0)
    manifest.extra = { top, meta: metaExtra };
  return manifest;
}
