import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Type, tableFromIPC } from "@uwdata/flechette";
import { describe, expect, it } from "vitest";
import { syntheticRows } from "../test/synthetic-logits.js";
import { useTempDirs } from "../test/temp-dir.js";
import { buildArrowSchema } from "./arrow-schema.js";
import { float16BitsToFloat32, float32ToFloat16Bits } from "./float16.js";
import { buildRecordBatch } from "./record-batch.js";
import { FORMAT_VERSION, type LogitDtype, validateMeta } from "./schema-meta.js";
import { appendTokenRows, ColumnBuffers } from "./token-rows.js";
import { openLogitStoreWriter } from "./writer.js";

const VOCAB = 151936;

describe("interop with an independent Arrow implementation (@uwdata/flechette)", () => {
  const tempDir = useTempDirs();

  /**
   * The README's recipe for format-2 float16 logits, written again here from the format description (not with
   * logit-steps.ts): order keys of the float16 bits, minus the running sum of the steps, back to bits.
   */
  const decodeSteps = (topBits: number, steps: ArrayLike<number>): number[] => {
    const order = (b: number) => (b & 0x8000 ? 0x7fff - (b & 0x7fff) : 0x8000 + b);
    const bits = (o: number) => (o >= 0x8000 ? o - 0x8000 : 0x8000 | (0x7fff - o));
    let o = order(topBits);
    return Array.from(steps, (s) => {
      o -= s;
      return float16BitsToFloat32(bits(o));
    });
  };

  const cases = [
    { dtype: "float32", formatVersion: undefined },
    { dtype: "float16", formatVersion: undefined },
    { dtype: "float16", formatVersion: 1 },
  ] as const satisfies { dtype: LogitDtype; formatVersion: number | undefined }[];
  for (const { dtype, formatVersion } of cases) {
    const steps = dtype === "float16" && formatVersion === undefined;
    it(`flechette reads a ${dtype} shard (format ${formatVersion ?? FORMAT_VERSION}): schema, metadata and every value`, async () => {
      const dir = tempDir();
      const k = 5;
      const meta = {
        modelId: "m/x",
        tokenizerHash: "t1",
        vocabSize: VOCAB,
        k,
        dtype,
        captureTemperature: 1,
        ...(formatVersion === undefined ? {} : { formatVersion }),
      };
      const data = [
        ["α-1", syntheticRows(7, { vocabSize: VOCAB, k, seed: 1 })],
        ["b", syntheticRows(1, { vocabSize: VOCAB, k, seed: 2 })],
        ["c", syntheticRows(300, { vocabSize: VOCAB, k, seed: 3 })],
      ] as const;
      const w = await openLogitStoreWriter(dir, meta, { batchBytes: 2048 });
      for (const [id, rows] of data) w.writeExample(id, rows);
      await w.close();

      const table = tableFromIPC(readFileSync(join(dir, "shard-000000.arrow")));
      expect(table.numRows).toBe(308);
      const logitColumns = steps ? ["topkLogitMax", "topkLogitSteps"] : ["topkLogits"];
      expect(table.schema.fields.map((f) => f.name)).toEqual([
        "exampleId",
        "position",
        "tokenId",
        "topkIds",
        ...logitColumns,
        "logSumExp",
      ]);
      const types = table.schema.fields.map((f) => f.type.typeId);
      const logitTypes = steps ? [Type.Float, Type.FixedSizeList] : [Type.FixedSizeList];
      expect(types).toEqual([Type.Utf8, Type.Int, Type.Int, Type.FixedSizeList, ...logitTypes, Type.Float]);
      const md = table.schema.metadata;
      expect(md?.get("modelId")).toBe("m/x");
      expect(md?.get("k")).toBe("5");
      expect(md?.get("dtype")).toBe(dtype);
      expect(md?.get("formatVersion")).toBe(String(formatVersion ?? FORMAT_VERSION));

      const exampleId = table.getChild("exampleId").toArray();
      const position = table.getChild("position").toArray();
      const tokenId = table.getChild("tokenId").toArray();
      const lse = table.getChild("logSumExp").toArray();
      const ids = table.getChild("topkIds");
      // flechette decodes Float16 to numbers; the recipe needs the bits, which float16 numbers give back exactly.
      const rowLogits = steps
        ? (row: number) =>
            decodeSteps(
              float32ToFloat16Bits(table.getChild("topkLogitMax").at(row) as number),
              table.getChild("topkLogitSteps").at(row) as ArrayLike<number>,
            )
        : (row: number) => Array.from(table.getChild("topkLogits").at(row) as ArrayLike<number>);
      let row = 0;
      for (const [id, rows] of data) {
        for (let t = 0; t < rows.tokenIds.length; t++, row++) {
          expect(exampleId[row]).toBe(id);
          expect(position[row]).toBe(t);
          expect(tokenId[row]).toBe(rows.tokenIds[t]);
          expect(lse[row]).toBe(rows.logSumExp[t]);
          const rowIds = Array.from(ids.at(row) as ArrayLike<number>);
          expect(rowIds).toEqual(Array.from(rows.topkIds.subarray(t * k, (t + 1) * k)));
          const want = Array.from(rows.topkLogits.subarray(t * k, (t + 1) * k), (x) =>
            dtype === "float32" ? x : float16BitsToFloat32(float32ToFloat16Bits(x)),
          );
          expect(rowLogits(row)).toEqual(want);
        }
      }
    });
  }

  // apache/arrow-js#315: the arrow 21 writer corrupts a file when two columns share one child Data.
  for (const dtype of ["float32", "float16"] as const) {
    it(`builds every column and list child from its own Data and buffer (arrow-js#315, ${dtype})`, () => {
      const meta = validateMeta(
        { modelId: "m", tokenizerHash: "t", vocabSize: 100, k: 3, dtype, captureTemperature: 1 },
        "test",
      );
      const cols = new ColumnBuffers(3, dtype, 4);
      const rows = syntheticRows(4, { vocabSize: 100, k: 3, seed: 9 });
      appendTokenRows(cols, rows, meta, "test");
      const batch = buildRecordBatch(buildArrowSchema(meta), cols, [{ id: "e", rows: 4 }]);
      const datas = batch.data.children.flatMap((d) => [d, ...d.children]);
      expect(datas).toHaveLength(dtype === "float16" ? 9 : 8);
      expect(new Set(datas).size).toBe(datas.length);
      const regions = datas
        .flatMap((d) => [d.values, d.valueOffsets])
        .filter((v): v is NonNullable<typeof v> => v != null && v.byteLength > 0)
        .map((v) => [v.buffer, v.byteOffset, v.byteOffset + v.byteLength] as const);
      for (let i = 0; i < regions.length; i++) {
        for (let j = i + 1; j < regions.length; j++) {
          const [ba, sa, ea] = regions[i]!;
          const [bb, sb, eb] = regions[j]!;
          expect(ba === bb && sa < eb && sb < ea, `buffers ${i} and ${j} overlap`).toBe(false);
        }
      }
    });
  }
});
