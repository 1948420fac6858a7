import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { crc32 } from "node:zlib";
import { type RecordBatch, RecordBatchReader, RecordBatchStreamWriter, type Schema } from "apache-arrow";
// Not part of apache-arrow's documented surface, but shipped and typed in every build; pinned with the
// dependency (21.2.0). Decoding the footer ourselves lets us read single batches synchronously by offset.
import { Footer } from "apache-arrow/ipc/metadata/file";
import { checkArrowSchema } from "./arrow-schema.js";
import { type CompressionName, compressionTypeFor } from "./compression.js";
import { LogitStoreError } from "./errors.js";
import type { ShardEntry } from "./manifest.js";
import { assertSameMeta, type LogitSchemaMeta } from "./schema-meta.js";
import type { BatchLocation } from "./shard-file-writer.js";

const MAGIC = "ARROW1";
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * Random access to one complete shard. Opening checks the shard's structure against the manifest
 * (readCheckedFooter) and that a codec for its compression is registered.
 */
export class ShardReader {
  private fd: number | undefined;
  private readonly schemaMessage: Uint8Array;

  constructor(
    readonly path: string,
    readonly entry: ShardEntry,
    meta: LogitSchemaMeta,
    private readonly verifyChecksums: boolean,
  ) {
    const fd = openSync(path, "r");
    try {
      const footer = readCheckedFooter(fd, path, entry, meta);
      if (entry.compression) compressionTypeFor(entry.compression as CompressionName);
      this.schemaMessage = schemaMessageBytes(footer.schema);
      this.fd = fd;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Reads and decodes record batch `index`; its typed arrays are views into one freshly read buffer. */
  readBatch(index: number): RecordBatch {
    const loc = this.entry.batches[index];
    if (!loc) throw new LogitStoreError(`${this.path}: no record batch ${index}`);
    if (this.fd === undefined) throw new LogitStoreError(`${this.path}: shard reader is closed`);
    // Lay out [schema message][batch message][end-of-stream] so Arrow's public stream reader can decode the
    // batch in place: the batch bytes are read from disk straight into this buffer and never copied again.
    const s = this.schemaMessage.length;
    const len = loc.metaLength + loc.bodyLength;
    // allocUnsafeSlow: every byte is overwritten below, and a fresh (unpooled) ArrayBuffer starts 8-aligned,
    // which keeps Arrow's typed-array views zero-copy.
    const buf = new Uint8Array(Buffer.allocUnsafeSlow(s + len + EOS.length).buffer, 0, s + len + EOS.length);
    buf.set(this.schemaMessage, 0);
    readInto(this.fd, buf, s, len, loc.offset, this.path);
    buf.set(EOS, s + len);
    if (this.verifyChecksums) checkBatchCrc(buf.subarray(s, s + len), loc, index, this.path);
    let batch: RecordBatch | undefined;
    try {
      const reader = RecordBatchReader.from(buf);
      for (const b of reader) {
        batch = b;
        break;
      }
    } catch (e) {
      const why = (e as Error).message;
      // A writer in another language that compressed its shards but left the manifest's "compression" null: no
      // codec was loaded for the store, so decoding fails with a message that names neither field.
      const hint =
        this.entry.compression === null && /compressed/i.test(why)
          ? `; the manifest records this shard's "compression" as null, but its record batches are compressed: set it to "zstd" (or "lz4")`
          : "";
      throw new LogitStoreError(`${this.path}: record batch ${index} cannot be decoded (${why})${hint}`);
    }
    if (!batch || batch.numRows !== loc.rows) {
      throw new LogitStoreError(
        `${this.path}: record batch ${index} has ${batch?.numRows ?? 0} rows, the manifest records ${loc.rows}`,
      );
    }
    return batch;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Checks a complete shard without decoding it: everything ShardReader checks on open (except that a codec for
 * its compression is registered), then every record batch's CRC-32. Reads the whole file once, one record batch
 * at a time into one reused buffer.
 */
export function verifyShardFile(path: string, entry: ShardEntry, meta: LogitSchemaMeta): void {
  const fd = openSync(path, "r");
  try {
    readCheckedFooter(fd, path, entry, meta);
    let buf = new Uint8Array(0);
    entry.batches.forEach((loc, i) => {
      const len = loc.metaLength + loc.bodyLength;
      if (buf.length < len) buf = new Uint8Array(len);
      readInto(fd, buf, 0, len, loc.offset, path);
      checkBatchCrc(buf.subarray(0, len), loc, i, path);
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a shard's footer, checking the size recorded in the manifest, both magic strings, the footer's schema
 * and metadata, and that the footer's record-batch blocks are the ones the manifest lists.
 */
function readCheckedFooter(fd: number, path: string, entry: ShardEntry, meta: LogitSchemaMeta): Footer {
  const size = fstatSync(fd).size;
  if (size !== entry.bytes) {
    throw new LogitStoreError(
      `${path}: ${size} bytes on disk but the manifest records ${entry.bytes} (truncated or modified)`,
    );
  }
  if (size < 8 + 10) throw new LogitStoreError(`${path}: ${size} bytes is too short for an Arrow IPC file`);
  const head = readExact(fd, 0, 8, path);
  const tail = readExact(fd, size - 10, 10, path);
  const tailMagic = Buffer.from(tail.subarray(4)).toString("latin1");
  if (Buffer.from(head.subarray(0, 6)).toString("latin1") !== MAGIC || tailMagic !== MAGIC) {
    // An IPC *stream* (pyarrow.ipc.new_stream) starts with a message's 0xFFFFFFFF continuation marker.
    const stream = head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
    throw new LogitStoreError(
      `${path}: not an Arrow IPC file (magic "ARROW1" missing at start or end)${stream ? "; it looks like an Arrow IPC stream: shards are IPC files (pyarrow.ipc.new_file, not new_stream)" : ""}`,
    );
  }
  const footerLength = new DataView(tail.buffer, tail.byteOffset).getInt32(0, true);
  if (footerLength <= 0 || footerLength > size - 18) {
    throw new LogitStoreError(`${path}: footer length ${footerLength} is impossible for a ${size}-byte file`);
  }
  const footerBytes = readExact(fd, size - 10 - footerLength, footerLength, path);
  let footer: Footer;
  try {
    footer = Footer.decode(footerBytes);
  } catch (e) {
    throw new LogitStoreError(`${path}: corrupt Arrow footer (${(e as Error).message})`);
  }
  const found = checkArrowSchema(footer.schema, path);
  assertSameMeta(meta, found, `${path} schema vs manifest`);
  if (footer.numRecordBatches !== entry.batches.length) {
    throw new LogitStoreError(
      `${path}: the footer lists ${footer.numRecordBatches} record batches, the manifest ${entry.batches.length}`,
    );
  }
  entry.batches.forEach((loc, i) => {
    const block = footer.getRecordBatch(i);
    if (
      !block ||
      block.offset !== loc.offset ||
      block.metaDataLength !== loc.metaLength ||
      block.bodyLength !== loc.bodyLength
    ) {
      throw new LogitStoreError(`${path}: record batch ${i} in the footer differs from the manifest`);
    }
  });
  return footer;
}

/** `bytes` are record batch `index`'s message and body as read from the shard. */
function checkBatchCrc(bytes: Uint8Array, loc: BatchLocation, index: number, path: string): void {
  const crc = crc32(bytes);
  if (crc !== loc.crc32) {
    throw new LogitStoreError(
      `${path}: record batch ${index} fails its checksum (crc32 ${crc} vs ${loc.crc32} in the manifest): the shard is corrupt or was modified`,
    );
  }
}

/** The IPC stream encoding of just the schema message (the file format keeps the schema in its footer). */
function schemaMessageBytes(schema: Schema): Uint8Array {
  const w = new RecordBatchStreamWriter();
  w.reset(undefined, schema);
  return w.toUint8Array(true).slice();
}

function readExact(fd: number, position: number, length: number, path: string): Uint8Array {
  const buf = new Uint8Array(length);
  readInto(fd, buf, 0, length, position, path);
  return buf;
}

function readInto(
  fd: number,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
  path: string,
): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) {
      throw new LogitStoreError(`${path}: unexpected end of file at byte ${position + done} (truncated?)`);
    }
    done += n;
  }
}
