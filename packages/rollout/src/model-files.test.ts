/** Finding a model's ONNX file and its config / tokenizer folder in the layouts people have. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { modelFolder, resolveModelFile } from "./model-files.js";

const root = mkdtempSync(path.join(os.tmpdir(), "ssb-rollout-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding the given (empty) files. */
function folder(name: string, files: string[]): string {
  const dir = path.join(root, name);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), "");
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("resolveModelFile and modelFolder", () => {
  it("finds model.onnx beside its files, or in onnx/ with the files above it", () => {
    const flat = folder("flat", ["model.onnx", "config.json", "tokenizer.json"]);
    expect(resolveModelFile(flat)).toBe(path.join(flat, "model.onnx"));
    expect(modelFolder(resolveModelFile(flat))).toBe(flat);
    const hf = folder("hf", ["onnx/model.onnx", "config.json", "tokenizer.json"]);
    expect(resolveModelFile(hf)).toBe(path.join(hf, "onnx", "model.onnx"));
    expect(modelFolder(resolveModelFile(hf))).toBe(hf);
    // Optimum's merged decoder, by name; a file path is taken as it is.
    const merged = folder("merged", ["decoder_model_merged.onnx"]);
    expect(resolveModelFile(merged)).toBe(path.join(merged, "decoder_model_merged.onnx"));
    expect(resolveModelFile(path.join(hf, "onnx", "model.onnx"))).toBe(path.join(hf, "onnx", "model.onnx"));
  });

  it("says a folder holds a checkpoint to export, and names a missing path", () => {
    const checkpoint = folder("checkpoint", ["model.safetensors", "config.json"]);
    expect(() => resolveModelFile(checkpoint)).toThrow(
      /no model\.onnx.*; it holds a checkpoint: export it first \(ssb-export-onnx --model/,
    );
    // Only other .onnx names (a transformers.js folder of quantized files): named, not guessed between.
    const quantized = folder("quantized", ["onnx/model_q4.onnx", "onnx/model_fp16.onnx", "config.json"]);
    expect(() => resolveModelFile(quantized)).toThrow(
      /no model\.onnx.*; it holds onnx\/model_fp16\.onnx, onnx\/model_q4\.onnx: pass the one to load as the model path \(e\.g\. .*quantized\/onnx\/model_fp16\.onnx\)$/,
    );
    const empty = folder("empty", []);
    expect(() => resolveModelFile(empty)).toThrow(/onnx\/ subfolder$/);
    expect(() => resolveModelFile(path.join(root, "nope"))).toThrow(/nope: no such model file or folder/);
  });
});
