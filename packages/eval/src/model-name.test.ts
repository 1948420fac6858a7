import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXPORT_STAMP, formerModelIdFor, modelIdFor } from "./model-name.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-model-name-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder under root holding the given files (JSON values written as JSON). */
function folder(path: string, files: Record<string, unknown> = {}): string {
  const dir = join(root, path);
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(files))
    writeFileSync(join(dir, name), typeof value === "string" ? value : JSON.stringify(value));
  return dir;
}

describe("modelIdFor", () => {
  it("names a model by its folder, with the parent in front of a generic folder name", () => {
    // Reports named such runs `model`, `model.onnx` and `onnx-export` unless --name was given.
    const qwen = folder("models/Qwen2.5-3B-Instruct", { "config.json": {} });
    expect(modelIdFor(qwen)).toBe("Qwen2.5-3B-Instruct");
    expect(modelIdFor(folder("runs/ssb/model", { "config.json": {} }))).toBe("ssb/model");
    expect(modelIdFor(folder("runs/ssb/checkpoint-500"))).toBe("ssb/checkpoint-500");
  });

  it("names an ONNX file by its folder when the file is model.onnx, else by the file", () => {
    const dir = folder("exported/qwen3b", { "model.onnx": "x", "qwen3b-int8.onnx": "y" });
    expect(modelIdFor(join(dir, "model.onnx"))).toBe("qwen3b");
    expect(modelIdFor(join(dir, "qwen3b-int8.onnx"))).toBe("qwen3b-int8");
  });

  it("names an adapter run by the model and the adapter folder", () => {
    const qwen = folder("models/Qwen2.5-3B-Instruct");
    const adapter = folder("runs/ssb/adapter", { "adapter_config.json": {} });
    expect(modelIdFor(qwen, adapter)).toBe("Qwen2.5-3B-Instruct + ssb/adapter");
    expect(modelIdFor(qwen, folder("runs/lora-r16"))).toBe("Qwen2.5-3B-Instruct + lora-r16");
  });

  it("names ssb-eval's export folder by the checkpoint and adapter it was made from", () => {
    const qwen = folder("models/Qwen2.5-3B-Instruct");
    const adapter = folder("runs/ssb/adapter");
    const exported = folder("runs/ssb-eval/onnx-export", {
      "model.onnx": "x",
      [EXPORT_STAMP]: { model: qwen, adapter, files: [] },
    });
    expect(modelIdFor(exported)).toBe("Qwen2.5-3B-Instruct + ssb/adapter");
    expect(modelIdFor(join(exported, "model.onnx"))).toBe("Qwen2.5-3B-Instruct + ssb/adapter");
  });

  it("falls back to the config's _name_or_path where the folder and its parent say nothing", () => {
    // `/model` mounted into a container; a fine-tuned checkpoint's _name_or_path names its base, so a folder
    // that says something comes first.
    const mounted = folder("models/model", {
      "config.json": { _name_or_path: "Qwen/Qwen2.5-0.5B-Instruct" },
    });
    expect(modelIdFor(mounted)).toBe("Qwen/Qwen2.5-0.5B-Instruct");
    const local = folder("out/model", { "config.json": { _name_or_path: "/home/me/ckpts/qwen-distilled/" } });
    expect(modelIdFor(local)).toBe("qwen-distilled");
    expect(modelIdFor(folder("weights/model", { "config.json": "not json" }))).toBe("model");
  });

  it("keeps the id runs recorded before, for their resume", () => {
    expect(formerModelIdFor("/x/runs/ssb/model")).toBe("model");
    expect(formerModelIdFor("/x/models/Qwen", "/x/runs/ssb/adapter")).toBe("Qwen+adapter");
  });
});
