import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { compress, decompress } from "@bokuweb/zstd-wasm";
import {
  CompressionType as FlechetteCompression,
  setCompressionCodec,
  tableFromIPC,
} from "@uwdata/flechette";
import { describe, expect, it } from "vitest";
import { expectSameBytes } from "../test/same-array.js";
import { syntheticRows } from "../test/synthetic-logits.js";
import { useTempDirs } from "../test/temp-dir.js";
import { float32ArrayToFloat16Bits } from "./float16.js";
import { openLogitStore } from "./reader.js";
import { openLogitStoreWriter } from "./writer.js";
import { enableZstd } from "./zstd.js";

const VOCAB = 151936;
const meta = {
  modelId: "m",
  tokenizerHash: "t",
  vocabSize: VOCAB,
  k: 20,
  dtype: "float16" as const,
  captureTemperature: 1,
};

describe("zstd compression", () => {
  const tempDir = useTempDirs();
  const data = Array.from({ length: 20 }, (_, i) => syntheticRows(200, { vocabSize: VOCAB, k: 20, seed: i }));

  async function write(compression: "zstd" | null): Promise<{ dir: string; bytes: number }> {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta, { compression, batchBytes: 128 << 10 });
    data.forEach((rows, i) => {
      w.writeExample(`e${i}`, rows);
    });
    await w.close();
    const bytes = readdirSync(dir)
      .filter((f) => f.endsWith(".arrow"))
      .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    return { dir, bytes };
  }

  it("round-trips and makes the shards smaller", async () => {
    const plain = await write(null);
    const packed = await write("zstd");
    expect(packed.bytes).toBeLessThan(plain.bytes * 0.8);
    const store = await openLogitStore(packed.dir);
    expect(store.compressions()).toEqual(["zstd"]);
    data.forEach((rows, i) => {
      const ex = store.read(`e${i}`);
      expectSameBytes(ex.topkIds, rows.topkIds, "topkIds");
      expectSameBytes(ex.topkLogits, float32ArrayToFloat16Bits(rows.topkLogits), "topkLogits");
      expectSameBytes(ex.logSumExp, rows.logSumExp, "logSumExp");
    });
    store.verifyAll();
  });

  it("enableZstd can be called again (another level) and the codec still round-trips", async () => {
    // A second initialisation of the WebAssembly module used to break decompression (error -10).
    await enableZstd();
    await enableZstd(3);
    const packed = await write("zstd");
    const store = await openLogitStore(packed.dir);
    store.verifyAll();
    expectSameBytes(store.read("e7").topkIds, data[7]!.topkIds, "topkIds");
    store.close();
    await enableZstd();
  });

  it("compressed shards are standard: flechette decodes them with its own zstd registration", async () => {
    const { dir } = await write("zstd");
    // Initialised once, through the package (the module's own init() must not run twice in one process).
    await enableZstd();
    setCompressionCodec(FlechetteCompression.ZSTD, {
      encode: (d) => compress(d, 1),
      decode: (d) => decompress(d),
    });
    const table = tableFromIPC(readFileSync(join(dir, "shard-000000.arrow")));
    expect(table.numRows).toBe(20 * 200);
    const ids = table.getChild("topkIds");
    expect(Array.from(ids.at(200 * 3 + 5) as ArrayLike<number>)).toEqual(
      Array.from(data[3]!.topkIds.subarray(5 * 20, 6 * 20)),
    );
    expect(table.getChild("exampleId").at(200 * 19)).toBe("e19");
  });

  it("asking for lz4 without a registered codec is a clear error", async () => {
    await expect(openLogitStoreWriter(tempDir(), meta, { compression: "lz4" })).rejects.toThrow(
      /compression "lz4" requested but no codec is registered/,
    );
  });
});
