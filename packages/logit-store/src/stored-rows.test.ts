/**
 * A store written by another program (pyarrow from Python, say) has not been through the writer's checks. The
 * reader refuses its bad rows when it decodes them, naming the shard, record batch, row, example, position and
 * column, instead of handing a trainer NaN losses or negative tail masses; verifyAll adds the writer's full checks.
 */
import { describe, expect, it } from "vitest";
import { type RawExample, writeRawStore } from "../test/raw-store.js";
import { useTempDirs } from "../test/temp-dir.js";
import { float32ToFloat16Bits } from "./float16.js";
import { openLogitStore } from "./reader.js";
import type { LogitSchemaMetaInput } from "./schema-meta.js";

const META: LogitSchemaMetaInput = {
  modelId: "py/teacher",
  tokenizerHash: "t",
  vocabSize: 100,
  k: 3,
  dtype: "float32",
  captureTemperature: 1,
};

/** Two good examples; `bad` replaces fields of row 1 of the second one. */
function examples(bad: Partial<Record<keyof RawExample, (v: number[]) => number[]>> = {}): RawExample[] {
  const good: RawExample = {
    id: "b",
    tokenIds: [5, 6, 7],
    topkIds: [5, 1, 2, 6, 3, 4, 7, 8, 9],
    topkLogits: [4, 3, 2, 5, 1, 0, 3, 2, 1],
    logSumExp: [4.5, 5.2, 3.5],
  };
  const second = { ...good };
  for (const [key, f] of Object.entries(bad)) {
    const k = key as keyof RawExample;
    (second as Record<string, unknown>)[k] = f((good[k] as number[] | undefined) ?? [0, 1, 2]);
  }
  return [{ ...good, id: "a" }, second];
}

const cases: { name: string; bad: Parameters<typeof examples>[0]; error: RegExp }[] = [
  {
    name: "unsorted top-k logits",
    bad: { topkLogits: (v) => [...v.slice(0, 3), 1, 5, 0, ...v.slice(6)] },
    error: /column "topkLogits" is not sorted descending \(entry 1 = 5 > entry 0 = 1\)/,
  },
  {
    name: "a NaN logit",
    bad: { topkLogits: (v) => [...v.slice(0, 4), Number.NaN, ...v.slice(5)] },
    error: /column "topkLogits" entry 1 is NaN/,
  },
  {
    name: "a log-sum-exp below the top logit",
    bad: { logSumExp: (v) => [v[0]!, 4, v[2]!] },
    error: /column "logSumExp" = 4 is below the row's top logit 5/,
  },
  {
    name: "a log-sum-exp above top logit + ln(vocabSize)",
    bad: { logSumExp: (v) => [v[0]!, 5 + Math.log(100) + 0.1, v[2]!] },
    error: /column "logSumExp" = 9\.7\d* is above the row's top logit 5 \+ ln\(vocabSize 100\)/,
  },
  {
    name: "a NaN log-sum-exp",
    bad: { logSumExp: (v) => [v[0]!, Number.NaN, v[2]!] },
    error: /column "logSumExp" = NaN is not a finite number/,
  },
  {
    name: "a top-k id outside the vocabulary",
    bad: { topkIds: (v) => [...v.slice(0, 5), 100, ...v.slice(6)] },
    error: /column "topkIds" entry 2 = 100 is not a token id in \[0, 100\)/,
  },
  {
    name: "a target token id outside the vocabulary",
    bad: { tokenIds: (v) => [v[0]!, -1, v[2]!] },
    error: /column "tokenId" = -1 is not a token id in \[0, 100\)/,
  },
  {
    name: "a negative position",
    bad: { positions: () => [0, -1, 2] },
    error: /column "position" = -1 is negative/,
  },
];

describe("rows of a store written by another program", () => {
  const tempDir = useTempDirs();

  it("a correct one is read", async () => {
    const dir = tempDir();
    await writeRawStore(dir, META, examples());
    const store = await openLogitStore(dir);
    expect([...store.read("b").topkIds]).toEqual([5, 1, 2, 6, 3, 4, 7, 8, 9]);
    expect(() => store.verifyAll()).not.toThrow();
    store.close();
  });

  for (const { name, bad, error } of cases) {
    it(`${name} is refused on read, naming file, batch, row, example, position and column`, async () => {
      const dir = tempDir();
      await writeRawStore(dir, META, examples(bad));
      const store = await openLogitStore(dir);
      const where = /shard-000000\.arrow: record batch 0 row 4 \(example "b", position (1|-1)\): /;
      // Any read of the batch refuses it, the good example's too: the batch is checked once, as it is decoded.
      expect(() => store.read("a")).toThrow(new RegExp(where.source + error.source));
      expect(() => store.verifyAll()).toThrow(error);
      store.close();
      const unchecked = await openLogitStore(dir, { verifyRows: false });
      expect(() => unchecked.read("b")).not.toThrow();
      unchecked.close();
    });
  }

  for (const formatVersion of [1, 2]) {
    it(`a float16 NaN top logit (format ${formatVersion}) is refused too`, async () => {
      const dir = tempDir();
      const f16 = (v: number[]) => v.map(float32ToFloat16Bits);
      const rows = examples().map((e) => ({ ...e, topkLogits: f16(e.topkLogits) }));
      rows[1]!.topkLogits[3] = 0x7e00; // a float16 NaN
      await writeRawStore(dir, { ...META, dtype: "float16", formatVersion }, rows);
      const store = await openLogitStore(dir);
      const column =
        formatVersion === 2
          ? '"topkLogits" \\(decoded from topkLogitMax and topkLogitSteps\\)'
          : '"topkLogits"';
      expect(() => store.read("b")).toThrow(
        new RegExp(`row 4 \\(example "b", position 1\\): column ${column} entry 0 is NaN`),
      );
    });
  }

  for (const { column, index, error } of [
    {
      column: "logSumExp",
      index: 4,
      error: /row 4 \(example "b"\): column "logSumExp" is null; the format has no nulls/,
    },
    { column: "topkLogits", index: 13, error: /row 4 \(example "b"\): column "topkLogits" entry 1 is null/ },
  ]) {
    it(`a null in ${column} (pyarrow's fields are nullable by default) is refused, not read as a value`, async () => {
      const dir = tempDir();
      await writeRawStore(dir, META, examples(), { column, index });
      const store = await openLogitStore(dir);
      expect(() => store.read("a")).toThrow(
        new RegExp(`shard-000000\\.arrow: record batch 0 ${error.source}`),
      );
    });
  }

  const fullOnly: { name: string; bad: Parameters<typeof examples>[0]; error: RegExp }[] = [
    {
      name: "a log-sum-exp below the top-k's own",
      bad: { logSumExp: (v) => [v[0]!, 5.01, v[2]!] },
      error:
        /example "b": logSumExp\[1\] \(position 1\) = 5.01\d* is below the log-sum-exp 5.02\d+ of that token's own top-k/,
    },
    {
      name: "a repeated top-k id",
      bad: { topkIds: (v) => [...v.slice(0, 5), 6, ...v.slice(6)] },
      error: /example "b": topkIds of token 1 \(position 1\) repeat token id 6 \(entry 2\)/,
    },
    {
      name: "a repeated position",
      bad: { positions: () => [0, 0, 2] },
      error: /example "b": position 0 \(positions\[1\]\) appears more than once/,
    },
  ];
  for (const { name, bad, error } of fullOnly) {
    it(`${name} is read, and refused by verifyAll naming the file and batch`, async () => {
      const dir = tempDir();
      await writeRawStore(dir, META, examples(bad));
      const store = await openLogitStore(dir);
      expect(() => store.read("b")).not.toThrow();
      expect(() => store.verifyAll()).toThrow(
        new RegExp(`shard-000000\\.arrow: record batch 0, ${error.source}`),
      );
    });
  }
});
