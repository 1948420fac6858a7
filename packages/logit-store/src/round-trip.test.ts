import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectSameBytes } from "../test/same-array.js";
import { syntheticRows } from "../test/synthetic-logits.js";
import { useTempDirs } from "../test/temp-dir.js";
import { float16BitsToFloat32, float32ArrayToFloat16Bits } from "./float16.js";
import { openLogitStore } from "./reader.js";
import { FORMAT_VERSION, type LogitDtype, type LogitSchemaMetaInput } from "./schema-meta.js";
import { openLogitStoreWriter } from "./writer.js";

const VOCAB = 151936;
const meta = (k: number, dtype: LogitDtype): LogitSchemaMetaInput => ({
  modelId: "test/teacher",
  tokenizerHash: "sha256:abc",
  vocabSize: VOCAB,
  k,
  dtype,
  captureTemperature: 0.7,
});

describe("round trip", () => {
  const tempDir = useTempDirs();

  for (const dtype of ["float32", "float16"] as const) {
    for (const k of [1, 20, 128]) {
      it(`${dtype}, k=${k}: examples of 1 and 10,000 tokens read back ${dtype === "float32" ? "bit-exact" : "within float16 rounding"}`, async () => {
        const dir = tempDir();
        const lengths = { one: 1, long: 10_000, mid: 37 };
        const data = Object.fromEntries(
          Object.entries(lengths).map(([id, n], i) => [
            id,
            syntheticRows(n, { vocabSize: VOCAB, k, seed: k * 10 + i }),
          ]),
        );
        // Small batches and shards so the long example gets its own oversized batch and shards rotate.
        const w = await openLogitStoreWriter(dir, meta(k, dtype), {
          batchBytes: 64 << 10,
          shardBytes: 1 << 20,
        });
        for (const [id, rows] of Object.entries(data)) w.writeExample(id, rows);
        expect(await w.close()).toEqual({ unfinished: [] });

        const store = await openLogitStore(dir);
        expect(store.examples()).toEqual(["one", "long", "mid"]);
        expect(store.meta).toMatchObject({ ...meta(k, dtype), formatVersion: FORMAT_VERSION });
        for (const [id, rows] of Object.entries(data)) {
          const ex = store.read(id);
          expect(ex.length).toBe(rows.tokenIds.length);
          expect(ex.k).toBe(k);
          expectSameBytes(ex.positions, rows.positions, "positions");
          expectSameBytes(ex.tokenIds, rows.tokenIds, "tokenIds");
          expectSameBytes(ex.topkIds, rows.topkIds, "topkIds");
          expectSameBytes(ex.logSumExp, rows.logSumExp, "logSumExp");
          if (dtype === "float32") {
            expect(ex.topkLogits).toBeInstanceOf(Float32Array);
            // Bit-exact: the raw bytes are compared, not values.
            expectSameBytes(ex.topkLogits, rows.topkLogits, "topkLogits");
          } else {
            expect(ex.topkLogits).toBeInstanceOf(Uint16Array);
            expectSameBytes(ex.topkLogits, float32ArrayToFloat16Bits(rows.topkLogits), "topkLogits");
            for (let i = 0; i < rows.topkLogits.length; i += 97) {
              const x = rows.topkLogits[i]!;
              // Within half a float16 ulp (2^-11 relative for normal numbers).
              expect(Math.abs(float16BitsToFloat32(ex.topkLogits[i]!) - x)).toBeLessThanOrEqual(
                Math.abs(x) * 2 ** -11,
              );
            }
          }
        }
        const iterated = [...store].map((e) => [e.exampleId, e.length]);
        expect(iterated).toEqual(Object.entries(lengths));
        store.verifyAll();
        store.close();
      });
    }
  }

  it("returns zero-copy views into one buffer per record batch", async () => {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta(4, "float32"));
    w.writeExample("a", syntheticRows(10, { vocabSize: VOCAB, k: 4, seed: 1 }));
    w.writeExample("b", syntheticRows(10, { vocabSize: VOCAB, k: 4, seed: 2 }));
    await w.close();
    const store = await openLogitStore(dir);
    const a = store.read("a");
    const b = store.read("b");
    expect(a.topkIds.buffer).toBe(a.topkLogits.buffer);
    expect(a.logSumExp.buffer).toBe(b.tokenIds.buffer);
  });

  it("keeps each example's rows together when tokens of many examples are appended interleaved", async () => {
    const dir = tempDir();
    const k = 3;
    const w = await openLogitStoreWriter(dir, meta(k, "float16"), { batchBytes: 256 });
    const full = ["x", "y", "z"].map((id, i) => ({
      id,
      rows: syntheticRows(25 + i, { vocabSize: VOCAB, k, seed: i }),
    }));
    for (let t = 0; t < 27; t++) {
      for (const { id, rows } of full) {
        if (t >= rows.tokenIds.length) continue;
        // One token per call, as a batched generation step produces them.
        w.append(id, {
          tokenIds: rows.tokenIds.subarray(t, t + 1),
          topkIds: rows.topkIds.subarray(t * k, t * k + k),
          topkLogits: rows.topkLogits.subarray(t * k, t * k + k),
          logSumExp: rows.logSumExp.subarray(t, t + 1),
        });
      }
      if (t === 24) w.commitExample("x");
    }
    w.commitExample("z");
    expect(w.pendingExamples).toEqual(["y"]);
    const closed = await w.close();
    expect(closed.unfinished).toEqual(["y"]);
    const store = await openLogitStore(dir);
    expect(store.examples()).toEqual(["x", "z"]);
    const z = store.read("z");
    expect(z.positions).toEqual(full[2]!.rows.positions);
    expect(z.topkIds).toEqual(full[2]!.rows.topkIds);
    // A later writer reports the never-committed example for redo.
    const w2 = await openLogitStoreWriter(dir, meta(k, "float16"));
    expect(w2.redo).toEqual(["y"]);
    w2.writeExample("y", full[1]!.rows);
    await w2.close();
    const again = await openLogitStore(dir);
    expect(again.examples()).toEqual(["x", "z", "y"]);
    expect(again.read("y").topkIds).toEqual(full[1]!.rows.topkIds);
    const w3 = await openLogitStoreWriter(dir, meta(k, "float16"));
    expect(w3.redo).toEqual([]);
    await w3.close();
  });

  it("reopens and appends to an existing store; rejects mismatched metadata and duplicate ids", async () => {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta(2, "float32"));
    w.writeExample("a", syntheticRows(3, { vocabSize: VOCAB, k: 2, seed: 1 }));
    await w.close();
    await expect(
      openLogitStoreWriter(dir, { ...meta(2, "float32"), tokenizerHash: "other" }),
    ).rejects.toThrow(/metadata mismatch \(tokenizerHash: expected "sha256:abc", found "other"\)/);
    await expect(openLogitStoreWriter(dir, meta(3, "float16"))).rejects.toThrow(
      /k: expected 2, found 3; dtype/,
    );
    const w2 = await openLogitStoreWriter(dir, meta(2, "float32"));
    expect(() => w2.append("a", syntheticRows(1, { vocabSize: VOCAB, k: 2, seed: 1 }))).toThrow(
      /already in the store/,
    );
    w2.writeExample("b", syntheticRows(2, { vocabSize: VOCAB, k: 2, seed: 2 }));
    await expect(openLogitStoreWriter(dir, meta(2, "float32"))).rejects.toThrow(/already open/);
    await w2.close();
    const store = await openLogitStore(join(dir));
    expect(store.examples()).toEqual(["a", "b"]);
    expect(store.rows).toBe(5);
  });

  it("appending keeps manifest fields of another writer (top level and meta) as they were", async () => {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta(2, "float32"));
    w.writeExample("a", syntheticRows(3, { vocabSize: VOCAB, k: 2, seed: 1 }));
    await w.close();
    const path = join(dir, "manifest.json");
    const m = JSON.parse(readFileSync(path, "utf8"));
    m.createdBy = { tool: "write_store.py", pyarrow: "25.0.1" };
    m.meta.teacherRevision = "abc123";
    writeFileSync(path, JSON.stringify(m));
    const w2 = await openLogitStoreWriter(dir, meta(2, "float32"));
    w2.writeExample("b", syntheticRows(2, { vocabSize: VOCAB, k: 2, seed: 2 }));
    await w2.close();
    const after = JSON.parse(readFileSync(path, "utf8"));
    expect(after.createdBy).toEqual({ tool: "write_store.py", pyarrow: "25.0.1" });
    expect(after.meta.teacherRevision).toBe("abc123");
    expect(after.examples.map((e: { id: string }) => e.id)).toEqual(["a", "b"]);
    expect((await openLogitStore(dir)).rows).toBe(5);
  });

  it("format 1 float16 stores (plain float16 column) are still read, appended to in format 1, and equal format 2", async () => {
    const v1 = tempDir();
    const v2 = tempDir();
    const a = syntheticRows(50, { vocabSize: VOCAB, k: 20, seed: 1 });
    const b = syntheticRows(30, { vocabSize: VOCAB, k: 20, seed: 2 });
    const w1 = await openLogitStoreWriter(v1, { ...meta(20, "float16"), formatVersion: 1 });
    w1.writeExample("a", a);
    await w1.close();
    // A writer that names no version keeps the store's version; naming the other one is a mismatch.
    await expect(openLogitStoreWriter(v1, { ...meta(20, "float16"), formatVersion: 2 })).rejects.toThrow(
      /formatVersion: expected 1, found 2/,
    );
    const w1b = await openLogitStoreWriter(v1, meta(20, "float16"));
    w1b.writeExample("b", b);
    await w1b.close();
    const w2 = await openLogitStoreWriter(v2, meta(20, "float16"));
    w2.writeExample("a", a);
    w2.writeExample("b", b);
    await w2.close();

    const s1 = await openLogitStore(v1);
    const s2 = await openLogitStore(v2);
    expect(s1.meta.formatVersion).toBe(1);
    expect(s2.meta.formatVersion).toBe(2);
    for (const id of ["a", "b"]) {
      const x = s1.read(id);
      const y = s2.read(id);
      expectSameBytes(x.topkLogits, y.topkLogits, `${id} topkLogits`);
      expectSameBytes(x.topkIds, y.topkIds, `${id} topkIds`);
      expectSameBytes(x.logSumExp, y.logSumExp, `${id} logSumExp`);
    }
    s1.verifyAll();
    s2.verifyAll();
    s1.close();
    s2.close();
  });

  it("flush() makes committed examples durable and visible to new readers; later ones wait for their shard", async () => {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta(2, "float32"));
    w.writeExample("a", syntheticRows(3, { vocabSize: VOCAB, k: 2, seed: 1 }));
    await w.flush();
    w.writeExample("b", syntheticRows(3, { vocabSize: VOCAB, k: 2, seed: 2 }));
    expect((await openLogitStore(dir)).examples()).toEqual(["a"]);
    expect(w.has("b")).toBe(true);
    await w.close();
    const store = await openLogitStore(dir);
    expect(store.examples()).toEqual(["a", "b"]);
    expect(store.locate("b")).toMatchObject({ shard: 1, file: "shard-000001.arrow", batch: 0, batchRow: 0 });
  });

  it("refuses a store locked by a running writer and takes over a dead writer's lock", async () => {
    const dir = tempDir();
    await (await openLogitStoreWriter(dir, meta(2, "float32"))).close();
    writeFileSync(join(dir, "writer.lock"), String(process.ppid));
    await expect(openLogitStoreWriter(dir, meta(2, "float32"))).rejects.toThrow(
      new RegExp(`locked by a running writer \\(pid ${process.ppid}`),
    );
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    writeFileSync(join(dir, "writer.lock"), String(dead));
    await (await openLogitStoreWriter(dir, meta(2, "float32"))).close();
  });

  it.runIf(existsSync("/proc/self/stat"))(
    "takes over the lock of a writer that exited but was never reaped (a zombie)",
    async () => {
      const dir = tempDir();
      await (await openLogitStoreWriter(dir, meta(2, "float32"))).close();
      // The child outlives the shell's exec (1 s), so its parent is by then `sleep 8`, which never reaps it.
      // (A child that exited before the exec could be reaped by the shell itself: no zombie, no test.)
      const parent = spawn("sh", ["-c", "sleep 1 & echo $!; exec sleep 8"], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      try {
        const pid = Number((await once(parent.stdout, "data"))[0].toString().trim());
        const state = (): string | undefined => {
          try {
            return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
          } catch {
            return undefined;
          }
        };
        for (let i = 0; i < 500 && state() !== "Z"; i++) await new Promise((r) => setTimeout(r, 10));
        expect(state()).toBe("Z");
        writeFileSync(join(dir, "writer.lock"), String(pid));
        await (await openLogitStoreWriter(dir, meta(2, "float32"))).close();
      } finally {
        parent.kill();
      }
    },
  );

  it("a closed writer leaves no lock and no process-exit handler behind (one per writer piled up before)", async () => {
    const dir = tempDir();
    const before = process.listenerCount("exit");
    for (let i = 0; i < 12; i++) await (await openLogitStoreWriter(dir, meta(4, "float32"), {})).close();
    expect(process.listenerCount("exit")).toBe(before);
    expect(existsSync(join(dir, "writer.lock"))).toBe(false);
  });

  it("rejects malformed rows with the field and index", async () => {
    const withLogit = (rows: { topkLogits: ArrayLike<number> }, i: number, v: number): Float32Array => {
      const out = Float32Array.from(rows.topkLogits);
      out[i] = v;
      return out;
    };
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta(2, "float32"));
    const good = syntheticRows(2, { vocabSize: VOCAB, k: 2, seed: 1 });
    expect(() => w.append("e", { ...good, topkIds: good.topkIds.subarray(0, 3) })).toThrow(
      /"topkIds" has 3 values, expected 4/,
    );
    expect(() => w.append("e", { ...good, topkIds: Int32Array.of(1, 2, 3, VOCAB) })).toThrow(
      /topkIds\[3\] = 151936 is not a token id/,
    );
    expect(() => w.append("e", { ...good, topkLogits: Float32Array.of(1, 2, 3, 2) })).toThrow(
      /not sorted descending/,
    );
    // A teacher's NaN logit is named as NaN, not as an unsorted row ("entry 1 = NaN > entry 0 = 2" before).
    expect(() => w.append("e", { ...good, topkLogits: withLogit(good, 3, Number.NaN) })).toThrow(
      /^append\("e"\): topkLogits of token 1 \(position 1\) entry 1 is NaN$/,
    );
    expect(() => w.append("e", { ...good, topkLogits: withLogit(good, 0, Number.NaN) })).toThrow(
      /^append\("e"\): topkLogits of token 0 \(position 0\) entry 0 is NaN$/,
    );
    expect(() => w.append("e", { ...good, logSumExp: Float32Array.of(-100, 100) })).toThrow(/logSumExp\[0\]/);
    expect(() => w.append("e", { ...good, topkLogits: new Uint16Array(4) })).toThrow(/dtype is float32/);
    expect(() => w.commitExample("e")).toThrow(/has no appended rows/);
    const none = { tokenIds: [], topkIds: [], topkLogits: [], logSumExp: [] };
    expect(() => w.writeExample("empty", none)).toThrow(/"empty" has no rows/);
    w.append("empty2", none);
    expect(() => w.commitExample("empty2")).toThrow(/"empty2" has no rows/);
    w.abortExample("empty2");
    await w.close();
    await expect(openLogitStoreWriter(tempDir(), { ...meta(2, "float32"), vocabSize: -1 })).rejects.toThrow(
      /field "vocabSize" must be an integer/,
    );
  });

  it("rejects rows of the wrong types with the field, and stores nothing a typed copy would have coerced", async () => {
    // Rows built from JSON (Python's None, ids written as strings) or a call with an argument left out.
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta(2, "float32"));
    const good = syntheticRows(2, { vocabSize: VOCAB, k: 2, seed: 1 });
    const plain = {
      tokenIds: [...good.tokenIds],
      topkIds: [...good.topkIds],
      topkLogits: [...(good.topkLogits as Float32Array)],
      logSumExp: [...good.logSumExp],
    };
    const bad = (rows: unknown) => () => w.append("e", rows as typeof plain);
    expect(bad(null)).toThrow(/^append\("e"\): rows must be an object with tokenIds, .*found null$/);
    expect(bad({ ...plain, logSumExp: undefined })).toThrow(
      /^append\("e"\): "logSumExp" must be an array or a typed array, found nothing \(the field is missing\)$/,
    );
    expect(bad({ ...plain, topkIds: 7 })).toThrow(
      /"topkIds" must be an array or a typed array, found number/,
    );
    expect(bad({ ...plain, logSumExp: [null, plain.logSumExp[1]] })).toThrow(
      /logSumExp\[0\] = null is not a number/,
    );
    expect(
      bad({ ...plain, topkLogits: [String(plain.topkLogits[0]), ...plain.topkLogits.slice(1)] }),
    ).toThrow(/topkLogits\[0\] = the string "[^"]+" is not a number/);
    expect(bad({ ...plain, tokenIds: ["1", 2] })).toThrow(/tokenIds\[0\] = the string "1" is not an int32/);
    w.append("e", plain);
    w.commitExample("e");
    await w.close();
    const store = await openLogitStore(dir);
    expect([...store.read("e").logSumExp]).toEqual([...good.logSumExp]);
    store.close();
  });
});
