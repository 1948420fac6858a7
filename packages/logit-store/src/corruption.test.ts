import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  CompressionType,
  compressionRegistry,
  Field,
  Int32,
  RecordBatchStreamWriter,
  Schema,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { syntheticRows } from "../test/synthetic-logits.js";
import { useTempDirs } from "../test/temp-dir.js";
import { LogitStoreError } from "./errors.js";
import { logitStoreExists, openLogitStore } from "./reader.js";
import { openLogitStoreWriter } from "./writer.js";

const VOCAB = 1000;
const meta = {
  modelId: "model-A",
  tokenizerHash: "t",
  vocabSize: VOCAB,
  k: 4,
  dtype: "float16" as const,
  captureTemperature: 1,
};

describe("corrupt, truncated or tampered stores give clear errors", () => {
  const tempDir = useTempDirs();

  async function makeStore(): Promise<{ dir: string; shard: string; manifest: string }> {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta, { batchBytes: 512 });
    for (let i = 0; i < 5; i++)
      w.writeExample(`e${i}`, syntheticRows(20, { vocabSize: VOCAB, k: 4, seed: i }));
    await w.close();
    return { dir, shard: join(dir, "shard-000000.arrow"), manifest: join(dir, "manifest.json") };
  }

  function editManifest(
    path: string,
    edit: (
      m: Record<string, unknown> & { shards: Record<string, unknown>[]; examples: Record<string, unknown>[] },
    ) => void,
  ): void {
    const m = JSON.parse(readFileSync(path, "utf8"));
    edit(m);
    writeFileSync(path, JSON.stringify(m));
  }

  it("a truncated shard is rejected on open, by the reader and by the writer", async () => {
    const { dir, shard } = await makeStore();
    const size = readFileSync(shard).length;
    truncateSync(shard, size - 100);
    await expect(openLogitStore(dir)).rejects.toThrow(
      /shard-000000\.arrow: \d+ bytes on disk but the manifest records \d+ \(truncated/,
    );
    await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(/truncated/);
  });

  it("a writer refuses shards without a manifest, and deletes nothing", async () => {
    const { dir, shard, manifest } = await makeStore();
    const bytes = readFileSync(shard);
    rmSync(manifest);
    await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(
      /holds 1 shard\(s\) \(shard-000000\.arrow\) but no manifest\.json; the store is damaged/,
    );
    expect(readFileSync(shard).equals(bytes)).toBe(true);
    expect(existsSync(manifest)).toBe(false);
  });

  it("a flipped byte inside a record batch fails its checksum", async () => {
    const { dir, shard, manifest } = await makeStore();
    const loc = JSON.parse(readFileSync(manifest, "utf8")).shards[0].batches[1];
    const bytes = readFileSync(shard);
    bytes[loc.offset + loc.metaLength + 10]! ^= 0x40;
    writeFileSync(shard, bytes);
    const store = await openLogitStore(dir);
    expect(() => store.read("e0")).not.toThrow(); // batch 0 is intact
    const idsInBatch1 = store.examples().filter((id) => store.locate(id)?.batch === 1);
    expect(idsInBatch1.length).toBeGreaterThan(0);
    expect(() => store.read(idsInBatch1[0]!)).toThrow(/record batch 1 fails its checksum/);
    expect(() => store.verifyAll()).toThrow(/checksum/);
  });

  /** Every file of the store folder with its bytes, to show that a refused writer changed nothing. */
  function snapshot(dir: string): Map<string, string> {
    return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString("base64")]));
  }

  it("a writer reopened on a shard with a flipped byte refuses, naming the shard, and changes nothing", async () => {
    const { dir, shard, manifest } = await makeStore();
    const w = await openLogitStoreWriter(dir, meta, { batchBytes: 512 });
    w.writeExample("second-shard", syntheticRows(20, { vocabSize: VOCAB, k: 4, seed: 9 }));
    await w.close();
    const loc = JSON.parse(readFileSync(manifest, "utf8")).shards[0].batches[1];
    const bytes = readFileSync(shard);
    bytes[loc.offset + loc.metaLength + 10]! ^= 0x40;
    writeFileSync(shard, bytes);
    // What a crash leaves behind, which a successful reopen would delete or rewrite.
    writeFileSync(join(dir, "shard-000002.arrow.partial"), "half a shard");
    writeFileSync(join(dir, "in-progress.jsonl"), '"lost"\n');
    const before = snapshot(dir);
    await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(
      /shard-000000\.arrow: record batch 1 fails its checksum .*a writer does not add to a damaged store, and nothing was changed/,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("a writer reopened on a shard with a damaged footer refuses, naming the shard", async () => {
    const { dir, shard } = await makeStore();
    const bytes = readFileSync(shard);
    bytes.write("XXXXXX", bytes.length - 6);
    writeFileSync(shard, bytes);
    const before = snapshot(dir);
    await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(
      /shard-000000\.arrow: not an Arrow IPC file .*nothing was changed/,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("a writer given a file instead of a folder says so", async () => {
    const file = join(tempDir(), "not-a-folder");
    writeFileSync(file, "x");
    await expect(openLogitStoreWriter(file, meta)).rejects.toThrow(
      /not-a-folder: is a file, not a folder; a logit store is a folder/,
    );
    await expect(openLogitStoreWriter(join(file, "below"), meta)).rejects.toThrow(
      /below: cannot create the store folder \(ENOTDIR/,
    );
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("tampered footer metadata is caught against the manifest", async () => {
    const { dir, shard } = await makeStore();
    const bytes = readFileSync(shard);
    const at = bytes.lastIndexOf(Buffer.from("model-A"));
    expect(at).toBeGreaterThan(0);
    bytes.write("model-B", at);
    writeFileSync(shard, bytes);
    const store = await openLogitStore(dir);
    expect(() => store.read("e0")).toThrow(/modelId: expected "model-A", found "model-B"/);
  });

  it("a file that is not Arrow is rejected", async () => {
    const { dir, shard } = await makeStore();
    const bytes = readFileSync(shard);
    bytes.write("XXXXXX", bytes.length - 6);
    writeFileSync(shard, bytes);
    const store = await openLogitStore(dir);
    expect(() => store.read("e0")).toThrow(/not an Arrow IPC file/);
  });

  for (const file of ["../outside.arrow", "/etc/passwd", "sub/shard.arrow", "./shard-000000.arrow", ""]) {
    it(`a manifest naming ${JSON.stringify(file)} is refused`, async () => {
      const { dir, manifest } = await makeStore();
      editManifest(manifest, (m) => {
        m.shards[0]!.file = file;
      });
      await expect(openLogitStore(dir)).rejects.toThrow(/points outside the store directory/);
      await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(/points outside the store directory/);
    });
  }

  it("manifest row ranges outside their batch, unknown shards and bad JSON are refused", async () => {
    const { dir, manifest } = await makeStore();
    const original = readFileSync(manifest, "utf8");
    editManifest(manifest, (m) => {
      m.examples[0]!.rows = 100_000;
    });
    await expect(openLogitStore(dir)).rejects.toThrow(
      /examples\[0\] rows \[0, 100000\) lie outside its batch/,
    );
    writeFileSync(manifest, original);
    editManifest(manifest, (m) => {
      m.examples[1]!.shard = 7;
    });
    await expect(openLogitStore(dir)).rejects.toThrow(/examples\[1\]\.shard 7 does not exist/);
    writeFileSync(manifest, original);
    editManifest(manifest, (m) => {
      m.examples[2]!.id = m.examples[1]!.id;
    });
    await expect(openLogitStore(dir)).rejects.toThrow(
      /examples\[2\]\.id "e1" appears twice; each example is listed once, with all its rows in one record batch/,
    );
    writeFileSync(manifest, "{ not json");
    await expect(openLogitStore(dir)).rejects.toThrow(/manifest\.json: not valid JSON/);
  });

  it("a manifest.json that cannot be read (a folder of that name) is named, as a LogitStoreError", async () => {
    // Node's own EISDIR error names no path.
    const dir = tempDir();
    mkdirSync(join(dir, "manifest.json"));
    const refused = openLogitStore(dir);
    await expect(refused).rejects.toThrow(/manifest\.json: cannot read the manifest \(EISDIR/);
    await expect(refused).rejects.toBeInstanceOf(LogitStoreError);
  });

  it("a manifest example whose shardRow disagrees with its batch and batchRow, or with no rows, is refused", async () => {
    // Readers that load a whole shard as one table (pyarrow's read_all) find examples by shardRow alone.
    const { dir, manifest } = await makeStore();
    const original = readFileSync(manifest, "utf8");
    const target = JSON.parse(original).examples.findIndex((e: { batch: number }) => e.batch === 1);
    expect(target).toBeGreaterThan(0);
    editManifest(manifest, (m) => {
      m.examples[target]!.shardRow = m.examples[target]!.batchRow; // as if batch 1 started the file
    });
    await expect(openLogitStore(dir)).rejects.toThrow(
      new RegExp(
        `manifest\\.json: examples\\[${target}\\]\\.shardRow is \\d+, but its batchRow \\d+ in record batch 1 is row \\d+ of the shard`,
      ),
    );
    writeFileSync(manifest, original);
    editManifest(manifest, (m) => {
      m.examples[0]!.rows = 0;
    });
    await expect(openLogitStore(dir)).rejects.toThrow(
      /examples\[0\]\.rows is 0; an example has at least one row/,
    );
  });

  it("a manifest whose example points at another example's rows is caught on read", async () => {
    const { dir, manifest } = await makeStore();
    editManifest(manifest, (m) => {
      const [a, b] = [m.examples[0]!, m.examples[1]!];
      for (const key of ["batch", "batchRow", "shardRow"]) [a[key], b[key]] = [b[key], a[key]];
    });
    const store = await openLogitStore(dir);
    expect(() => store.read("e0")).toThrow(/that row holds "e1"/);
  });

  it("an example whose middle row holds another example's id is caught on read", async () => {
    // First and last rows right, a row between them another example's (a foreign writer's interleaving).
    const { dir, shard } = await makeStore();
    const bytes = readFileSync(shard);
    const run = Buffer.from("e0".repeat(20), "latin1");
    const at = bytes.indexOf(run);
    expect(at).toBeGreaterThan(0);
    bytes.write("e1", at + 2 * 7, "latin1");
    writeFileSync(shard, bytes);
    const store = await openLogitStore(dir, { verifyChecksums: false });
    expect(() => store.read("e0")).toThrow(
      /example "e0" is at shard 0 record batch 0 row 7, but that row holds "e1"/,
    );
    expect(() => store.read("e2")).not.toThrow();
  });

  it("a shard written as an Arrow IPC stream instead of a file is named as such", async () => {
    const { dir, shard, manifest } = await makeStore();
    // A stream: the schema message and nothing else, as pyarrow.ipc.new_stream writes it.
    const w = new RecordBatchStreamWriter();
    w.reset(undefined, new Schema([new Field("a", new Int32(), false)]));
    const bytes = w.toUint8Array(true);
    writeFileSync(shard, bytes);
    editManifest(manifest, (m) => {
      m.shards[0]!.bytes = bytes.length;
      m.shards[0]!.batches = [];
      m.shards[0]!.rows = 0;
      m.examples = [];
    });
    // A writer reopening the store reads every listed shard's footer first.
    await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(
      /shard-000000\.arrow: not an Arrow IPC file .*; it looks like an Arrow IPC stream: shards are IPC files \(pyarrow\.ipc\.new_file, not new_stream\)/,
    );
  });

  it("compressed record batches under a manifest whose compression is null say which field to fix", async () => {
    const dir = tempDir();
    const w = await openLogitStoreWriter(dir, meta, { compression: "zstd" });
    w.writeExample("e0", syntheticRows(5, { vocabSize: VOCAB, k: 4, seed: 1 }));
    await w.close();
    editManifest(join(dir, "manifest.json"), (m) => {
      m.shards[0]!.compression = null;
    });
    // As in a fresh process, where nothing has loaded a ZSTD codec.
    const codec = compressionRegistry.get(CompressionType.ZSTD);
    compressionRegistry.set(CompressionType.ZSTD, null as never); // the registry holds null for "no codec"
    try {
      const store = await openLogitStore(dir);
      expect(() => store.read("e0")).toThrow(
        /shard-000000\.arrow: record batch 0 cannot be decoded \(.*\); the manifest records this shard's "compression" as null, but its record batches are compressed: set it to "zstd"/,
      );
    } finally {
      compressionRegistry.set(CompressionType.ZSTD, codec as never);
    }
  });

  it("a missing store is reported as such", async () => {
    await expect(openLogitStore(join(tempDir(), "nope"))).rejects.toThrow(/not a logit store/);
    // A shard given instead of its folder: the folder to give is named.
    const { dir, shard, manifest } = await makeStore();
    for (const file of [shard, manifest]) {
      await expect(openLogitStore(file)).rejects.toThrow(
        `${file}: is a file, not a logit store; a store is a folder (give the folder that holds manifest.json and the shards: ${dir})`,
      );
    }
    const empty = tempDir();
    expect(logitStoreExists(join(empty, "nope"))).toBe(false);
    expect(logitStoreExists(empty)).toBe(false);
    expect(readdirSync(empty)).toEqual([]); // asking creates nothing
    expect(logitStoreExists((await makeStore()).dir)).toBe(true);
  });
});
