/**
 * The IPC format prefixes every compressed body buffer with its *uncompressed* length (or -1 for a buffer left
 * uncompressed). pyarrow, Arrow C++ and arrow-rs allocate their output from it, so a wrong prefix makes the
 * store unreadable outside JavaScript even though our own reader (and apache-arrow's) never looks at it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decompress } from "@bokuweb/zstd-wasm";
import { MessageHeader, MessageReader, type RecordBatch as RecordBatchMeta } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { syntheticRows } from "../test/synthetic-logits.js";
import { useTempDirs } from "../test/temp-dir.js";
import { openLogitStoreWriter } from "./writer.js";

interface PrefixCheck {
  buffer: number;
  prefix: number;
  /** What the buffer holds once decoded: the zstd frame decompressed, or the raw bytes after a -1 prefix. */
  decodedLength: number;
}

/** Every non-empty body buffer of every record batch in an IPC file, with its length prefix. */
function bodyBufferPrefixes(file: string): PrefixCheck[] {
  const bytes = readFileSync(file);
  // An IPC file is "ARROW1" plus padding (8 bytes), then an IPC stream, then the footer.
  const reader = new MessageReader(bytes.subarray(8));
  const checks: PrefixCheck[] = [];
  for (const message of reader) {
    const body = reader.readMessageBody(message.bodyLength);
    if (message.headerType !== MessageHeader.RecordBatch) continue;
    const header = message.header() as unknown as RecordBatchMeta & {
      buffers: { offset: number; length: number }[];
    };
    header.buffers.forEach((region, i) => {
      if (region.length === 0) return;
      const buf = body.subarray(region.offset, region.offset + region.length);
      const prefix = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigInt64(0, true));
      const data = buf.subarray(8);
      checks.push({
        buffer: i,
        prefix,
        decodedLength: prefix === -1 ? data.length : decompress(data).length,
      });
    });
  }
  return checks;
}

describe("compressed shards", () => {
  const tempDir = useTempDirs();

  for (const dtype of ["float16", "float32"] as const) {
    it(`prefix each compressed buffer with its uncompressed length (${dtype}), as other Arrow readers need`, async () => {
      const dir = tempDir();
      const meta = { modelId: "m", tokenizerHash: "t", vocabSize: 5000, k: 8, dtype, captureTemperature: 1 };
      const w = await openLogitStoreWriter(dir, meta, { compression: "zstd", batchBytes: 16 << 10 });
      for (let i = 0; i < 6; i++)
        w.writeExample(`e${i}`, syntheticRows(120, { vocabSize: 5000, k: 8, seed: i }));
      await w.close();
      const shards = readdirSync(dir).filter((f) => f.endsWith(".arrow"));
      expect(shards.length).toBeGreaterThan(0);
      const checks = shards.flatMap((f) => bodyBufferPrefixes(join(dir, f)));
      // The data compresses, so most buffers carry a real prefix: the check is not vacuous.
      expect(checks.filter((c) => c.prefix !== -1).length).toBeGreaterThan(checks.length / 2);
      const wrong = checks.filter((c) => c.prefix !== -1 && c.prefix !== c.decodedLength);
      expect(wrong).toEqual([]);
    });
  }
});
