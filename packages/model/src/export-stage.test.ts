/**
 * Re-exporting into an existing output folder: the folder ends up describing only the new export (files the
 * exporter owns and the new export lacks are removed), other files are left alone, and a failed export leaves
 * the previous one untouched.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { exportOnnx } from "./export-onnx.js";
import { EXPORT_STAGE_DIR } from "./export-stage.js";
import { EXPORT_MANIFEST_FILE } from "./export-target.js";

let workDir: string;
/** qwen2-tiny-ref without tokenizer files: config.json and model.safetensors only. */
let bareDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-stage-"));
  bareDir = path.join(workDir, "bare");
  await mkdir(bareDir);
  for (const name of ["config.json", "model.safetensors"])
    await copyFile(path.join(tinyRefDir, name), path.join(bareDir, name));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const listing = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

describe("re-export into an existing folder", () => {
  it("removes the earlier export's tokenizer files, keeps other files, and warns", async () => {
    const outDir = path.join(workDir, "stale");
    await exportOnnx({ modelDir: tinyRefDir, outDir, externalData: true, warn: () => {} });
    await writeFile(path.join(outDir, "notes.txt"), "mine");
    expect(await listing(outDir)).toContain("tokenizer.json");

    const warnings: string[] = [];
    const result = await exportOnnx({ modelDir: bareDir, outDir, warn: (m) => warnings.push(m) });
    expect(await listing(outDir)).toEqual([
      EXPORT_MANIFEST_FILE,
      "config.json",
      "genai_config.json",
      "model.onnx",
      "notes.txt",
    ]);
    expect(result.removed.sort()).toEqual(["model.onnx.data", "tokenizer.json", "tokenizer_config.json"]);
    expect(result.modelFile).toBe(path.join(outDir, "model.onnx"));
    expect(await readFile(path.join(outDir, "notes.txt"), "utf8")).toBe("mine");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path.join(bareDir, "tokenizer.json"));
    expect(warnings[0]).not.toContain("\n");
  });

  it("does not warn when the checkpoint has a tokenizer", async () => {
    const warnings: string[] = [];
    const outDir = path.join(workDir, "with-tokenizer");
    await exportOnnx({ modelDir: tinyRefDir, outDir, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });

  it("leaves the checkpoint's own files when exporting into its folder", async () => {
    const dir = path.join(workDir, "same");
    await mkdir(dir);
    // With tokenizer_config.json, so that no warning is due (tokenizer.json alone is warned about).
    for (const name of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
      await copyFile(path.join(tinyRefDir, name), path.join(dir, name));
    const warnings: string[] = [];
    const result = await exportOnnx({ modelDir: dir, outDir: dir, warn: (m) => warnings.push(m) });
    expect(result.removed).toEqual([]);
    expect(warnings).toEqual([]);
    expect(await listing(dir)).toEqual([
      EXPORT_MANIFEST_FILE,
      "config.json",
      "genai_config.json",
      "model.onnx",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  });

  it("leaves the previous export as it was when the new one fails midway", async () => {
    const outDir = path.join(workDir, "failed");
    await exportOnnx({ modelDir: tinyRefDir, outDir });
    const before = await listing(outDir);
    const model = await readFile(path.join(outDir, "model.onnx"));
    const fail = exportOnnx({
      modelDir: bareDir,
      outDir,
      variant: "contrib",
      onProgress: (done) => {
        if (done === 10) throw new Error("disk full");
      },
    });
    await expect(fail).rejects.toThrow("disk full");
    expect(await listing(outDir)).toEqual(before);
    expect((await readFile(path.join(outDir, "model.onnx"))).equals(model)).toBe(true);
    expect(before).not.toContain(EXPORT_STAGE_DIR);
  });
});
