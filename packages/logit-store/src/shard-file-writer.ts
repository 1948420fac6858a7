import { closeSync, fsync, openSync, renameSync, writevSync } from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { fsyncDir } from "@ssb/durable-files";
import { type CompressionType, type RecordBatch, RecordBatchFileWriter, type Schema } from "apache-arrow";

/** Where one record batch lies in a shard, as the manifest records it. */
export interface BatchLocation {
  /** Byte offset of the batch's message (its IPC file block). */
  offset: number;
  /** Length of the message header incl. prefix and padding (the block's metaDataLength). */
  metaLength: number;
  /** Length of the message body. */
  bodyLength: number;
  rows: number;
  /** CRC-32 of the batch's bytes [offset, offset + metaLength + bodyLength). */
  crc32: number;
}

/**
 * apache-arrow's file writer, with its output sent straight to a file descriptor instead of its async byte
 * queue. Overriding the one method through which every byte passes keeps memory bounded by one record batch
 * and lets us measure and checksum each batch's bytes as they go out.
 */
class FdFileWriter extends RecordBatchFileWriter {
  pending: Uint8Array[] = [];

  protected override _write(chunk: unknown): this {
    if (!this._started) return this;
    if (!ArrayBuffer.isView(chunk)) throw new TypeError("arrow writer produced a non-buffer chunk");
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.byteLength > 0) {
      this.pending.push(bytes);
      this._position += bytes.byteLength;
    }
    return this;
  }

  /**
   * apache-arrow 21 prefixes each compressed body buffer with the *compressed* length, where the IPC format
   * wants the uncompressed one (apache/arrow-js#470, fixed upstream after 21.2.0). Its own reader ignores the
   * prefix, but pyarrow, Arrow C++ and arrow-rs size their output buffer from it and refuse the file
   * ("ZSTD decompression failed: Destination buffer is too small"). The compressed buffers come back as
   * (prefix, data) pairs, one pair per input buffer; a prefix of -1 marks a buffer stored uncompressed.
   */
  protected override _compressBodyBuffers(
    buffers: ArrayBufferView[],
  ): ReturnType<RecordBatchFileWriter["_compressBodyBuffers"]> {
    const out = super._compressBodyBuffers(buffers);
    buffers.forEach((input, i) => {
      const prefix = out.buffers[2 * i];
      if (prefix === undefined || prefix.byteLength !== 8) return; // an empty buffer has no prefix
      const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
      if (view.getBigInt64(0, true) !== -1n) view.setBigInt64(0, BigInt(input.byteLength), true);
    });
    return out;
  }

  get position(): number {
    return this._position;
  }

  get lastBlock(): { offset: number; metaDataLength: number; bodyLength: number } {
    const block = this._recordBatchBlocks[this._recordBatchBlocks.length - 1];
    if (!block) throw new Error("no record batch written yet");
    return block;
  }
}

/**
 * Writes one shard: record batches go to `<final>.partial`; `writeFooter()` then `commit()` fsync it and rename
 * it to the final name, so a shard under its final name is always complete.
 */
export class ShardFileWriter {
  readonly tempPath: string;
  private readonly fd: number;
  private readonly writer: FdFileWriter;
  private readonly schema: Schema;
  readonly batches: BatchLocation[] = [];
  rows = 0;

  constructor(
    readonly finalPath: string,
    schema: Schema,
    compression: CompressionType | null,
  ) {
    this.tempPath = `${finalPath}.partial`;
    this.fd = openSync(this.tempPath, "w");
    this.schema = schema;
    this.writer = new FdFileWriter({ autoDestroy: true, compressionType: compression });
    // Writes the magic and padding now so an empty shard is still a valid file at writeFooter().
    this.writer.reset(undefined, schema);
    this.drain();
  }

  /** Bytes written so far (before the footer). */
  get bytes(): number {
    return this.writer.position;
  }

  writeBatch(batch: RecordBatch): BatchLocation {
    const w = this.writer;
    w.pending = [];
    w.write(batch);
    const chunks = w.pending;
    const block = w.lastBlock;
    // The chunks are exactly this batch's message (and its body), in order.
    let crc = 0;
    for (const c of chunks) crc = crc32(c, crc);
    const loc: BatchLocation = {
      offset: block.offset,
      metaLength: block.metaDataLength,
      bodyLength: block.bodyLength,
      rows: batch.numRows,
      crc32: crc,
    };
    this.drain();
    this.batches.push(loc);
    this.rows += batch.numRows;
    return loc;
  }

  /** Writes the footer and trailing magic (no fsync yet). Returns the file's final size. */
  writeFooter(): number {
    this.writer.reset(undefined, this.schema);
    this.drain();
    return this.writer.position;
  }

  /**
   * fsync (on libuv's thread pool, so the next shard's encoding overlaps the disk flush), then rename to the
   * final name and fsync the directory. Only after this may the manifest mention the shard.
   */
  async commit(): Promise<void> {
    await new Promise<void>((resolve, reject) => fsync(this.fd, (e) => (e ? reject(e) : resolve())));
    closeSync(this.fd);
    renameSync(this.tempPath, this.finalPath);
    fsyncDir(dirname(this.finalPath));
  }

  private drain(): void {
    const chunks = this.writer.pending;
    this.writer.pending = [];
    // writev takes at most IOV_MAX (1024) buffers per call; partial writes are retried from where they stopped.
    let i = 0;
    while (i < chunks.length) {
      const group = chunks.slice(i, i + 512);
      const total = group.reduce((s, c) => s + c.byteLength, 0);
      let done = writevSync(this.fd, group);
      while (done < total) {
        let skip = done;
        const rest: Uint8Array[] = [];
        for (const c of group) {
          if (skip >= c.byteLength) {
            skip -= c.byteLength;
          } else {
            rest.push(c.subarray(skip));
            skip = 0;
          }
        }
        done += writevSync(this.fd, rest);
      }
      i += 512;
    }
  }
}
