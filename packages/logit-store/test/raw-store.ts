// Writes a store the way another program might: rows go into the file as given, with none of the writer's
// checks, and the manifest is built from the shard's footer blocks. For tests of what the reader refuses.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { type Data, makeData, RecordBatch, Struct } from "apache-arrow";
import { buildArrowSchema } from "../src/arrow-schema.js";
import { emptyManifest, manifestPath } from "../src/manifest.js";
import { buildRecordBatch } from "../src/record-batch.js";
import { type LogitSchemaMetaInput, validateMeta } from "../src/schema-meta.js";
import { ShardFileWriter } from "../src/shard-file-writer.js";
import { ColumnBuffers } from "../src/token-rows.js";

export interface RawExample {
  id: string;
  positions?: number[];
  tokenIds: number[];
  topkIds: number[];
  /** float32 values, or float16 bits for float16 stores. */
  topkLogits: number[];
  logSumExp: number[];
}

/** One shard, one record batch holding all examples, unchecked; `nullAt` makes one value of a column null. */
export async function writeRawStore(
  dir: string,
  metaIn: LogitSchemaMetaInput,
  examples: RawExample[],
  nullAt?: { column: string; index: number },
): Promise<void> {
  const meta = validateMeta(metaIn, "raw store");
  const cols = new ColumnBuffers(meta.k, meta.dtype, 1);
  const manifest = emptyManifest(meta);
  for (const e of examples) {
    const n = e.tokenIds.length;
    const r = cols.rows;
    cols.reserve(n);
    cols.positions.set(e.positions ?? e.tokenIds.map((_, i) => i), r);
    cols.tokenIds.set(e.tokenIds, r);
    cols.topkIds.set(e.topkIds, r * meta.k);
    cols.topkLogits.set(e.topkLogits, r * meta.k);
    cols.logSumExp.set(e.logSumExp, r);
    cols.rows += n;
    manifest.examples.push({ id: e.id, shard: 0, batch: 0, batchRow: r, shardRow: r, rows: n });
  }
  const schema = buildArrowSchema(meta);
  const file = "shard-000000.arrow";
  const shard = new ShardFileWriter(join(dir, file), schema, null);
  let batch = buildRecordBatch(
    schema,
    cols,
    examples.map((e) => ({ id: e.id, rows: e.tokenIds.length })),
  );
  if (nullAt) batch = withNull(batch, nullAt.column, nullAt.index);
  shard.writeBatch(batch);
  const bytes = shard.writeFooter();
  await shard.commit();
  const data = readFileSync(join(dir, file));
  const batches = shard.batches.map((b) => ({
    ...b,
    crc32: crc32(data.subarray(b.offset, b.offset + b.metaLength + b.bodyLength)),
  }));
  manifest.shards.push({ file, bytes, rows: cols.rows, compression: null, batches });
  writeFileSync(manifestPath(dir), JSON.stringify(manifest));
}

/** The batch with value `index` of `column` (or of its list's values) marked null in a validity bitmap. */
function withNull(batch: RecordBatch, column: string, index: number): RecordBatch {
  const i = batch.schema.fields.findIndex((f) => f.name === column);
  const data = batch.data.children[i]!;
  const mark = (d: Data): Data => {
    const bitmap = new Uint8Array(Math.ceil(d.length / 8)).fill(0xff);
    bitmap[index >> 3]! &= ~(1 << (index & 7));
    return d.clone(d.type, d.offset, d.length, 1, { ...d.buffers, 2: bitmap } as never);
  };
  const replaced =
    data.children.length > 0
      ? data.clone(data.type, data.offset, data.length, 0, undefined, [mark(data.children[0]!)])
      : mark(data);
  const children = batch.data.children.map((c, j) => (j === i ? replaced : c));
  const struct = makeData({
    type: new Struct(batch.schema.fields),
    length: batch.numRows,
    children,
    nullCount: 0,
  });
  return new RecordBatch(batch.schema, struct);
}
