/**
 * A misspelt field given to openLogitStoreWriter (from JavaScript, or an object built from a parsed config)
 * is refused by name before anything is made; it used to be ignored, and the store written with the default.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../test/temp-dir.js";
import type { LogitSchemaMetaInput } from "./schema-meta.js";
import { type LogitStoreWriterOptions, openLogitStoreWriter } from "./writer.js";

const META: LogitSchemaMetaInput = {
  modelId: "test/teacher",
  tokenizerHash: "sha256:abc",
  vocabSize: 16,
  k: 2,
  dtype: "float16",
  captureTemperature: 1,
};

describe("fields openLogitStoreWriter does not know", () => {
  const tempDir = useTempDirs();

  it("a misspelt metadata field is refused by name, and no folder is made", async () => {
    const dir = join(tempDir(), "logits");
    const meta = { ...META, formatVersoin: 1 } as LogitSchemaMetaInput; // meant formatVersion: 1
    await expect(openLogitStoreWriter(dir, meta)).rejects.toThrow(
      'writer metadata: unknown field "formatVersoin" (known: modelId, tokenizerHash, vocabSize, k, dtype, captureTemperature, formatVersion); nothing was created or changed',
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("a misspelt option is refused by name, and no folder is made", async () => {
    const dir = join(tempDir(), "logits");
    const options = { shardByte: 1 << 20, batchByte: 4096 } as LogitStoreWriterOptions; // meant shardBytes
    await expect(openLogitStoreWriter(dir, META, options)).rejects.toThrow(
      'writer options: unknown fields "shardByte", "batchByte" (known: batchBytes, shardBytes, compression, ownFiles); nothing was created or changed',
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("every documented field is taken, and a store's own meta can open a copy", async () => {
    const w = await openLogitStoreWriter(
      tempDir(),
      { ...META, formatVersion: 2 },
      { batchBytes: 4096, shardBytes: 1 << 20, compression: null, ownFiles: () => false },
    );
    const copy = await openLogitStoreWriter(tempDir(), w.meta);
    await copy.close();
    await w.close();
  });
});
