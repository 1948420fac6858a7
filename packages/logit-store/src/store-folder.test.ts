/**
 * The folder a writer is given: one holding something else and no store is refused before anything is written
 * there, and a store made by an open that stored nothing can be discarded, leaving the folder as it was.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../test/temp-dir.js";
import { LogitStoreError } from "./errors.js";
import { openLogitStore } from "./reader.js";
import type { LogitSchemaMetaInput } from "./schema-meta.js";
import type { TokenRows } from "./token-rows.js";
import { openLogitStoreWriter } from "./writer.js";

const META: LogitSchemaMetaInput = {
  modelId: "test/teacher",
  tokenizerHash: "sha256:abc",
  vocabSize: 16,
  k: 2,
  dtype: "float32",
  captureTemperature: 1,
};
const ROWS: TokenRows = { tokenIds: [3], topkIds: [3, 1], topkLogits: [2, 1], logSumExp: [2.5] };

describe("the folder a writer is given", () => {
  const tempDir = useTempDirs();

  it("refuses a folder of other files and no store, naming it and the first files, and changes nothing", async () => {
    const home = tempDir(); // say, the user's home folder given by mistake
    for (const name of ["notes.txt", "b.csv", "a.jsonl", "todo.md"])
      writeFileSync(join(home, name), "mine\n");
    mkdirSync(join(home, "photos"));
    const before = readdirSync(home).sort();
    await expect(openLogitStoreWriter(home, META)).rejects.toThrow(
      `${home}: holds "a.jsonl", "b.csv", "notes.txt", ... (5 entries) and no logit store (manifest.json); the store would be written among them: give a new folder or an existing store's (nothing was created or changed)`,
    );
    // Before: manifest.json, in-progress.jsonl and writer.lock were written among the user's files.
    expect(readdirSync(home).sort()).toEqual(before);
  });

  it("takes a new or empty folder (hidden files aside), one with only a store's leftovers or the caller's own files, and a store", async () => {
    await (await openLogitStoreWriter(join(tempDir(), "new", "logits"), META)).close();
    await (await openLogitStoreWriter(tempDir(), META)).close();
    const crashed = tempDir(); // a writer that died before its manifest: its lock and journal
    writeFileSync(join(crashed, "writer.lock"), "999999999");
    writeFileSync(join(crashed, "in-progress.jsonl"), '"a"\n');
    await (await openLogitStoreWriter(crashed, META)).close();
    const kept = tempDir(); // an empty folder kept in a repository, or browsed in Finder
    writeFileSync(join(kept, ".gitkeep"), "");
    writeFileSync(join(kept, ".DS_Store"), "x");
    await (await openLogitStoreWriter(kept, META)).close();
    const beside = tempDir(); // a job's output written beside its logits
    writeFileSync(join(beside, "rollouts.jsonl"), "");
    writeFileSync(join(beside, "rollouts.jsonl.settings.json"), "{}");
    const own = (name: string): boolean => name.startsWith("rollouts.jsonl");
    const writer = await openLogitStoreWriter(beside, META, { ownFiles: own });
    writer.writeExample("a", ROWS);
    await writer.close();
    // A store takes other files beside it (they were there when it was made, or came later).
    writeFileSync(join(beside, "notes.txt"), "mine\n");
    await (await openLogitStoreWriter(beside, META)).close();
  });
});

describe("a folder the writer cannot write in", () => {
  const tempDir = useTempDirs();

  it("is refused as a LogitStoreError naming the folder, not a bare EACCES naming the lock's temp file", async () => {
    // Tests run as root here, where a read-only mode stops nothing: a folder where the lock's temporary file
    // should go fails the same first write (EISDIR instead of EACCES).
    for (const withStore of [false, true]) {
      const dir = tempDir();
      if (withStore) {
        const w = await openLogitStoreWriter(dir, META);
        w.writeExample("a", ROWS);
        await w.close();
      }
      const before = readdirSync(dir).sort();
      mkdirSync(join(dir, `writer.lock.${process.pid}.tmp`));
      const open = openLogitStoreWriter(dir, META);
      await expect(open).rejects.toBeInstanceOf(LogitStoreError);
      await expect(openLogitStoreWriter(dir, META)).rejects.toThrow(
        `${dir}: cannot write in the store folder (EISDIR: illegal operation on a directory, open '${join(dir, `writer.lock.${process.pid}.tmp`)}'); a writer needs a folder it can write in (nothing was changed)`,
      );
      expect(readdirSync(dir).sort()).toEqual([...before, `writer.lock.${process.pid}.tmp`].sort());
    }
  });
});

describe("discardIfUnused", () => {
  const tempDir = useTempDirs();

  it("removes a store this open made and stored nothing in, with the folders it made", async () => {
    const root = tempDir();
    const dir = join(root, "run", "logits");
    const writer = await openLogitStoreWriter(dir, META);
    writer.append("a", ROWS); // started, never committed (a job stopped mid-reply)
    expect(await writer.discardIfUnused()).toEqual({ unfinished: ["a"] });
    // Before: run/logits/ stayed holding a manifest of an empty store (and the journal listing "a").
    expect(readdirSync(root)).toEqual([]);
    const empty = tempDir(); // a folder that was there, empty: it stays, empty
    await (await openLogitStoreWriter(empty, META)).discardIfUnused();
    expect(existsSync(empty) && readdirSync(empty)).toEqual([]);
  });

  it("only closes a store that existed before or got an example", async () => {
    const dir = tempDir();
    const first = await openLogitStoreWriter(dir, META);
    first.writeExample("a", ROWS);
    await first.discardIfUnused();
    const manifest = readFileSync(join(dir, "manifest.json"));
    await (await openLogitStoreWriter(dir, META)).discardIfUnused(); // a resume that stored nothing
    expect(readFileSync(join(dir, "manifest.json"))).toEqual(manifest);
    const store = await openLogitStore(dir);
    expect(store.examples()).toEqual(["a"]);
    store.close();
    const empty = tempDir(); // an empty store made earlier is someone's: kept as well
    await (await openLogitStoreWriter(empty, META)).close();
    await (await openLogitStoreWriter(empty, META)).discardIfUnused();
    expect(readdirSync(empty).sort()).toEqual(["in-progress.jsonl", "manifest.json"]);
  });

  it("a refused open leaves no store or folder of its making", async () => {
    const root = tempDir();
    await expect(openLogitStoreWriter(join(root, "logits"), META, { shardBytes: 0 })).rejects.toThrow(
      /writer option shardBytes must be > 0, found 0/,
    );
    // Before: logits/ stayed with the manifest of an empty store (and in-progress.jsonl).
    expect(readdirSync(root)).toEqual([]);
  });
});
