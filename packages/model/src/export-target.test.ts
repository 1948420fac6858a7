/**
 * An export replaces only what an earlier export wrote: exporting into another checkpoint's folder (or one
 * holding another tool's model.onnx) is refused before anything is written, while the checkpoint's own folder
 * and an earlier export's folder (also one written before the manifest existed) keep working.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { exportOnnx } from "./export-onnx.js";
import { EXPORT_MANIFEST_FILE, ExportOutConflictError, isExportedOnnx } from "./export-target.js";

let workDir: string;
/** qwen2-tiny-ref with another config.json (one more field): "another model" for these tests. */
let otherDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-target-"));
  otherDir = await checkpointCopy("other", { changeConfig: true });
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function checkpointCopy(name: string, { changeConfig }: { changeConfig: boolean }): Promise<string> {
  const dir = path.join(workDir, name);
  await mkdir(dir);
  for (const file of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
    await copyFile(path.join(tinyRefDir, file), path.join(dir, file));
  if (changeConfig) {
    const config = JSON.parse(await readFile(path.join(dir, "config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    await writeFile(path.join(dir, "config.json"), JSON.stringify({ ...config, note: "another model" }));
  }
  return dir;
}

/** Every file of `dir` with its bytes, to tell that nothing changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort())
    files[name] = (await readFile(path.join(dir, name))).toString("base64");
  return files;
}

const quiet = { warn: () => {} };

describe("export into a folder that is not an earlier export", () => {
  it("refuses another checkpoint's folder, naming it and the files, and writes nothing", async () => {
    const target = await checkpointCopy("target", { changeConfig: true });
    const before = await snapshot(target);
    const error = await exportOnnx({ modelDir: tinyRefDir, outDir: target, ...quiet }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportOutConflictError);
    expect((error as ExportOutConflictError).files).toEqual(["config.json"]);
    expect((error as Error).message).toContain(`${target} holds another model's files`);
    expect((error as Error).message).toContain("config.json");
    expect(await snapshot(target)).toEqual(before);
    // The checkpoint still exports (its config still matches its weights).
    await exportOnnx({ modelDir: target, outDir: path.join(workDir, "target-out"), ...quiet });
  });

  it("exports into the checkpoint's own folder, and then refuses another model there", async () => {
    const own = await checkpointCopy("own", { changeConfig: false });
    const result = await exportOnnx({ modelDir: own, outDir: own, ...quiet });
    expect(result.copied).toEqual([]);
    expect((await readdir(own)).sort()).toEqual([
      EXPORT_MANIFEST_FILE,
      "config.json",
      "genai_config.json",
      "model.onnx",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    await exportOnnx({ modelDir: own, outDir: own, ...quiet });
    const before = await snapshot(own);
    await expect(exportOnnx({ modelDir: otherDir, outDir: own, ...quiet })).rejects.toThrow(
      ExportOutConflictError,
    );
    expect(await snapshot(own)).toEqual(before);
  });

  it("leaves a folder's identical config unclaimed, so a later export of another model is refused", async () => {
    const sibling = await checkpointCopy("sibling", { changeConfig: false });
    const result = await exportOnnx({ modelDir: tinyRefDir, outDir: sibling, ...quiet });
    expect(result.copied).toEqual([]);
    await expect(exportOnnx({ modelDir: otherDir, outDir: sibling, ...quiet })).rejects.toThrow(
      /sibling holds another model's files .*: config\.json/,
    );
  });

  it("refuses a model.onnx another tool wrote", async () => {
    const foreign = path.join(workDir, "foreign");
    await mkdir(foreign);
    await writeFile(path.join(foreign, "model.onnx"), "not ours");
    await expect(exportOnnx({ modelDir: tinyRefDir, outDir: foreign, ...quiet })).rejects.toThrow(
      /foreign holds another model's files .*: model\.onnx /,
    );
    expect(await readdir(foreign)).toEqual(["model.onnx"]);
  });
});

describe("export into an earlier export's folder", () => {
  it("replaces an export of another model, and records what it wrote", async () => {
    const out = path.join(workDir, "re-export");
    await exportOnnx({ modelDir: tinyRefDir, outDir: out, ...quiet });
    const result = await exportOnnx({ modelDir: otherDir, outDir: out, ...quiet });
    expect(result.copied).toEqual(["config.json", "tokenizer.json", "tokenizer_config.json"]);
    expect(await readFile(path.join(out, "config.json"), "utf8")).toContain("another model");
    const manifest = JSON.parse(await readFile(path.join(out, EXPORT_MANIFEST_FILE), "utf8"));
    expect(manifest.files).toEqual([
      "config.json",
      "genai_config.json",
      "model.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  });

  it("replaces an export written before the manifest existed (recognised by its model.onnx)", async () => {
    const out = path.join(workDir, "legacy");
    await exportOnnx({ modelDir: tinyRefDir, outDir: out, ...quiet });
    await rm(path.join(out, EXPORT_MANIFEST_FILE));
    expect(await isExportedOnnx(path.join(out, "model.onnx"))).toBe(true);
    await exportOnnx({ modelDir: otherDir, outDir: out, ...quiet });
    expect(await readFile(path.join(out, "config.json"), "utf8")).toContain("another model");
  });

  it("keeps a checkpoint that was exported into its own folder before the manifest safe", async () => {
    const own = await checkpointCopy("legacy-own", { changeConfig: false });
    await exportOnnx({ modelDir: own, outDir: own, ...quiet });
    await rm(path.join(own, EXPORT_MANIFEST_FILE));
    await expect(exportOnnx({ modelDir: otherDir, outDir: own, ...quiet })).rejects.toThrow(
      ExportOutConflictError,
    );
    await exportOnnx({ modelDir: own, outDir: own, ...quiet });
  });
});

it("isExportedOnnx is false for files this package did not write", async () => {
  await writeFile(
    path.join(workDir, "random.onnx"),
    new Uint8Array([0x08, 0x07, 0x12, 0x03, 0x61, 0x62, 0x63]),
  );
  expect(await isExportedOnnx(path.join(workDir, "random.onnx"))).toBe(false);
  expect(await isExportedOnnx(path.join(workDir, "missing.onnx"))).toBe(false);
});
