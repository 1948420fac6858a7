/**
 * The Python side of the format, run for real: python/read_store.py (the README's "Reading a store from
 * Python/PyTorch" block, verbatim) reads stores our writer made, and python/write_store.py writes stores our reader
 * must accept. Needs a python3 that imports pyarrow and numpy (SSB_PYTHON names another interpreter, a venv's
 * say); without one these tests are skipped and their names say why. The README block is compared with the
 * script either way.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { syntheticRows } from "../test/synthetic-logits.js";
import { useTempDirs } from "../test/temp-dir.js";
import { float16BitsToFloat32, float32ToFloat16Bits } from "./float16.js";
import { tailMass, topkDistributionAtTemperature, topkLogitsAsFloat32, topkLogProbs } from "./logit-math.js";
import { type ExampleLogits, openLogitStore } from "./reader.js";
import type { LogitSchemaMetaInput } from "./schema-meta.js";
import { openLogitStoreWriter } from "./writer.js";

const PKG = join(import.meta.dirname, "..");
const READ_SCRIPT = join(PKG, "python", "read_store.py");
const WRITE_SCRIPT = join(PKG, "python", "write_store.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

/** Why the Python tests cannot run here, or undefined when they can. */
function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import pyarrow, numpy"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import pyarrow and numpy: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing ? ` (skipped: ${missing}; set SSB_PYTHON to a python with pyarrow)` : "";

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

const VOCAB = 5000;
const K = 6;

/** The fixed student of read_store.py's command line: logit of token v at position p = sin(v + 7p). */
function forwardKl(ex: ExampleLogits, probs: Float32Array, T: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < ex.length; t++) {
    const p = ex.positions[t]!;
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < VOCAB; v++) max = Math.max(max, Math.sin(v + 7 * p) / T);
    let sum = 0;
    for (let v = 0; v < VOCAB; v++) sum += Math.exp(Math.sin(v + 7 * p) / T - max);
    const lse = max + Math.log(sum);
    let kl = 0;
    for (let j = 0; j < ex.k; j++) {
      const pj = probs[t * ex.k + j]!;
      const logq = Math.sin(ex.topkIds[t * ex.k + j]! + 7 * p) / T - lse;
      if (pj > 0) kl += pj * (Math.log(pj) - logq);
    }
    out.push(kl);
  }
  return out;
}

describe("the README's Python code", () => {
  it("is python/read_store.py's block, verbatim", () => {
    const readme = readFileSync(join(PKG, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Reading a store from Python/PyTorch"));
    const block = /```python\n([\s\S]*?)```/.exec(section)?.[1];
    const script = readFileSync(READ_SCRIPT, "utf8");
    const inScript = /# --- README begin ---\n([\s\S]*?)# --- README end ---\n/.exec(script)?.[1];
    expect(block).toBeDefined();
    expect(block).toBe(inScript);
  });
});

describe("the Python scripts", () => {
  it("are published with the package (the README points users at them)", () => {
    const files: string[] = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8")).files;
    expect(files).toContain("python/*.py");
  });
});

describe(`python/read_store.py reads what our writer wrote${skipNote}`, () => {
  const tempDir = useTempDirs();

  const stores: { name: string; meta: Partial<LogitSchemaMetaInput>; compression: "zstd" | null }[] = [
    { name: "float16 (format 2, steps), ZSTD", meta: { dtype: "float16" }, compression: "zstd" },
    { name: "float32, ZSTD", meta: { dtype: "float32" }, compression: "zstd" },
    {
      name: "float16 format 1, uncompressed",
      meta: { dtype: "float16", formatVersion: 1 },
      compression: null,
    },
  ];
  for (const { name, meta: extra, compression } of stores) {
    it.skipIf(missing !== undefined)(`${name}: several shards, a resumed writer`, async () => {
      const dir = join(tempDir(), "logits");
      const meta = {
        modelId: "m",
        tokenizerHash: "t",
        vocabSize: VOCAB,
        k: K,
        captureTemperature: 0.7,
        dtype: "float32",
        ...extra,
      } as LogitSchemaMetaInput;
      const options = { batchBytes: 1024, shardBytes: 4096, compression };
      let w = await openLogitStoreWriter(dir, meta, options);
      for (let i = 0; i < 12; i++)
        w.writeExample(`a${i}`, syntheticRows(3 + i, { vocabSize: VOCAB, k: K, seed: i + 1 }));
      const given = syntheticRows(4, { vocabSize: VOCAB, k: K, seed: 50 });
      w.writeExample("from-10", { ...given, positions: Int32Array.from([10, 11, 12, 13]) });
      w.append("unfinished", syntheticRows(2, { vocabSize: VOCAB, k: K, seed: 51 }));
      await w.close();
      w = await openLogitStoreWriter(dir, meta, options);
      expect(w.redo).toEqual(["unfinished"]);
      w.writeExample("unfinished", syntheticRows(2, { vocabSize: VOCAB, k: K, seed: 51 }));
      w.writeExample("resumed", syntheticRows(9, { vocabSize: VOCAB, k: K, seed: 52 }));
      await w.close();

      const store = await openLogitStore(dir);
      expect(new Set(store.examples().map((id) => store.locate(id)?.file)).size).toBeGreaterThan(2);
      const T = 0.7;
      for (const id of ["a0", "a11", "from-10", "unfinished", "resumed"]) {
        const ex = store.read(id);
        const py = JSON.parse(python([READ_SCRIPT, dir, id, String(T)]));
        expect(py.k).toBe(K);
        expect(py.position).toEqual([...ex.positions]);
        expect(py.tokenId).toEqual([...ex.tokenIds]);
        expect(py.topkIds).toEqual([...ex.topkIds]);
        expect(py.topkLogits).toEqual([...topkLogitsAsFloat32(ex)]);
        expect(py.logSumExp).toEqual([...ex.logSumExp]);
        const close = (a: number[], b: ArrayLike<number>, digits: number): void => {
          for (const [i, x] of a.entries()) expect(x).toBeCloseTo(b[i]!, digits);
        };
        close(py.logp, topkLogProbs(ex), 5);
        close(py.tail, tailMass(ex), 5);
        const probs = topkDistributionAtTemperature(ex, T);
        close(py.probs, probs, 6);
        close(py.kl, forwardKl(ex, probs, T), 5);
      }
      store.close();
    });
  }
});

describe(`python/write_store.py writes stores our reader and writer take${skipNote}`, () => {
  const tempDir = useTempDirs();

  const variants = [
    { dtype: "float16", formatVersion: 2, compression: "zstd" },
    { dtype: "float16", formatVersion: 1, compression: null },
    { dtype: "float32", formatVersion: 2, compression: "zstd" },
  ] as const;
  for (const { dtype, formatVersion, compression } of variants) {
    it.skipIf(missing !== undefined)(
      `${dtype} format ${formatVersion}, ${compression ?? "uncompressed"}: read back exactly, verifyAll passes, our writer appends`,
      async () => {
        const root = tempDir();
        const dir = join(root, "logits");
        const meta = {
          modelId: "py/teacher",
          tokenizerHash: "t",
          vocabSize: VOCAB,
          k: K,
          dtype,
          captureTemperature: 0.7,
          formatVersion,
        };
        const examples = Array.from({ length: 10 }, (_, i) => {
          const rows = syntheticRows(2 + i, { vocabSize: VOCAB, k: K, seed: 100 + i });
          const logits: (number | string)[] = [...rows.topkLogits];
          if (i === 3) logits[K - 1] = "-Infinity"; // a masked entry
          return {
            id: `py-${i}`,
            tokenIds: [...rows.tokenIds],
            topkIds: [...rows.topkIds],
            topkLogits: logits,
            logSumExp: [...rows.logSumExp],
            ...(i === 5 ? { positions: [...rows.positions].map((p) => p + 20) } : {}),
          };
        });
        const spec = join(root, "spec.json");
        writeFileSync(
          spec,
          JSON.stringify({ meta, compression, batchRows: 12, shardRows: 30, examples }).replaceAll(
            '"-Infinity"',
            '"-inf"',
          ),
        );
        python([WRITE_SCRIPT, dir, spec]);
        expect(readdirSync(dir).filter((f) => f.endsWith(".arrow")).length).toBeGreaterThan(1);

        const store = await openLogitStore(dir);
        expect(store.meta).toEqual(meta);
        store.verifyAll();
        const asStored = (v: number | string) => {
          const x = v === "-Infinity" ? Number.NEGATIVE_INFINITY : (v as number);
          return dtype === "float16" ? float16BitsToFloat32(float32ToFloat16Bits(x)) : Math.fround(x);
        };
        for (const e of examples) {
          const ex = store.read(e.id);
          expect([...ex.tokenIds]).toEqual(e.tokenIds);
          expect([...ex.topkIds]).toEqual(e.topkIds);
          expect([...ex.positions]).toEqual(e.positions ? [...e.positions] : e.tokenIds.map((_, i) => i));
          expect([...topkLogitsAsFloat32(ex)]).toEqual(e.topkLogits.map(asStored));
          expect([...ex.logSumExp]).toEqual(e.logSumExp.map(Math.fround));
        }
        store.close();

        // Our writer resumes the Python-made store (it verifies every shard first) and adds a shard.
        const w = await openLogitStoreWriter(dir, meta);
        expect(w.redo).toEqual([]);
        w.writeExample("from-ts", syntheticRows(3, { vocabSize: VOCAB, k: K, seed: 7 }));
        await w.close();
        const again = await openLogitStore(dir);
        expect(again.examples()).toEqual([...examples.map((e) => e.id), "from-ts"]);
        again.verifyAll();
        again.close();
      },
    );
  }

  it.skipIf(missing !== undefined)(
    "an unsorted row written from Python is refused on read, naming file, row and column",
    async () => {
      const root = tempDir();
      const dir = join(root, "logits");
      const meta = {
        modelId: "m",
        tokenizerHash: "t",
        vocabSize: VOCAB,
        k: 2,
        dtype: "float32",
        captureTemperature: 1,
        formatVersion: 2,
      };
      const examples = [
        { id: "x", tokenIds: [1, 2], topkIds: [1, 2, 3, 4], topkLogits: [5, 4, 1, 3], logSumExp: [6, 6] },
      ];
      const spec = join(root, "spec.json");
      writeFileSync(spec, JSON.stringify({ meta, examples }));
      python([WRITE_SCRIPT, dir, spec]);
      const store = await openLogitStore(dir);
      expect(() => store.read("x")).toThrow(
        /shard-000000\.arrow: record batch 0 row 1 \(example "x", position 1\): column "topkLogits" is not sorted descending \(entry 1 = 3 > entry 0 = 1\)/,
      );
    },
  );
});

describe(`the Python scripts' command lines answer a user's mistake in one line, not a traceback${skipNote}`, () => {
  const tempDir = useTempDirs();

  function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
    const r = spawnSync(PYTHON, args, { encoding: "utf8" });
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
  }

  async function oneExampleStore(): Promise<string> {
    const dir = join(tempDir(), "logits");
    const meta = { modelId: "m", tokenizerHash: "t", vocabSize: VOCAB, k: K, dtype: "float32" as const };
    const w = await openLogitStoreWriter(dir, { ...meta, captureTemperature: 1 });
    w.writeExample("pair-1", syntheticRows(3, { vocabSize: VOCAB, k: K, seed: 1 }));
    await w.close();
    return dir;
  }

  it.skipIf(missing !== undefined)(
    "read_store.py: arguments missing, a bad T, no store, no such example",
    async () => {
      const dir = await oneExampleStore();
      const cases: [string[], number, RegExp][] = [
        [[], 2, /^usage: python read_store\.py STORE EXAMPLE_ID T /],
        [[dir, "pair-1", "hot"], 2, /^read_store\.py: T must be a temperature > 0, got 'hot'$/],
        [[join(dir, "nope"), "pair-1", "1"], 1, /: not a logit store \(no .*nope\/manifest\.json\)$/],
        [[dir, "pair-9", "1"], 1, /: no example 'pair-9' in the store \(1 examples, the first 'pair-1'\)$/],
      ];
      for (const [args, status, message] of cases) {
        const r = run([READ_SCRIPT, ...args]);
        expect(r.stderr).not.toMatch(/Traceback/);
        expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({
          status,
          stderr: expect.stringMatching(message),
        });
      }
      expect(JSON.parse(run([READ_SCRIPT, dir, "pair-1", "1"]).stdout).position).toEqual([0, 1, 2]);
    },
  );

  it.skipIf(missing !== undefined)(
    "write_store.py: no spec, a file that is no spec, a store already there, an id twice",
    async () => {
      const dir = await oneExampleStore();
      const manifest = readFileSync(join(dir, "manifest.json"), "utf8");
      const spec = (examples: unknown[]) => {
        const path = join(tempDir(), "spec.json");
        const meta = { modelId: "m", tokenizerHash: "t", vocabSize: VOCAB, k: 1, dtype: "float32" };
        writeFileSync(
          path,
          JSON.stringify({ meta: { ...meta, captureTemperature: 1, formatVersion: 2 }, examples }),
        );
        return path;
      };
      const row = { tokenIds: [1], topkIds: [1], topkLogits: [2], logSumExp: [3] };
      const notSpec = join(tempDir(), "package.json");
      writeFileSync(notSpec, "{}");
      const fresh = join(tempDir(), "new-store");
      const cases: [string[], number, RegExp][] = [
        [[], 2, /^usage: python write_store\.py STORE SPEC\.json /],
        [[fresh, join(fresh, "nope.json")], 1, /nope\.json: cannot read the spec \(/],
        [[fresh, notSpec], 1, /package\.json: field 'examples' is missing/],
        [[dir, spec([{ id: "a", ...row }])], 1, /manifest\.json: a store is already there/],
        [
          [
            fresh,
            spec([
              { id: "a", ...row },
              { id: "a", ...row },
            ]),
          ],
          1,
          /example 'a' appears twice/,
        ],
      ];
      for (const [args, status, message] of cases) {
        const r = run([WRITE_SCRIPT, ...args]);
        expect(r.stderr).not.toMatch(/Traceback/);
        expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({
          status,
          stderr: expect.stringMatching(message),
        });
      }
      // The store that was there is untouched, and the refused duplicate wrote no manifest.
      expect(readFileSync(join(dir, "manifest.json"), "utf8")).toBe(manifest);
      expect(readdirSync(fresh)).not.toContain("manifest.json");
    },
  );
});
