import { closeSync, cpSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelFingerprint, promptFingerprint } from "./fingerprints.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-fp-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A model folder: a small graph file and a 3 MiB external-data file of a repeating pattern. */
async function modelFolder(name: string): Promise<string> {
  const dir = path.join(work, name);
  await rm(dir, { recursive: true, force: true });
  cpSync(path.join(work, "template"), dir, { recursive: true });
  return dir;
}

function poke(file: string, at: number): void {
  const fd = openSync(file, "r+");
  writeSync(fd, Buffer.of(0xff), 0, 1, at);
  closeSync(fd);
}

describe("fingerprints", () => {
  beforeAll(async () => {
    const dir = path.join(work, "template");
    await rm(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await writeFile(path.join(dir, "model.onnx"), Buffer.from("graph bytes"));
    await writeFile(path.join(dir, "model.onnx.data"), Buffer.alloc(3 << 20, 7));
    await writeFile(path.join(dir, "config.json"), "{}");
  });

  it("is the same for a copy of the model elsewhere, and changes with the graph or the weights at either end", async () => {
    const a = await modelFolder("a");
    const b = await modelFolder("b");
    const fp = modelFingerprint(path.join(a, "model.onnx"));
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    expect(modelFingerprint(path.join(b, "model.onnx"))).toBe(fp);
    const data = path.join(b, "model.onnx.data");
    poke(data, statSync(data).size - 10);
    expect(modelFingerprint(path.join(b, "model.onnx"))).not.toBe(fp);
    const c = await modelFolder("c");
    poke(path.join(c, "model.onnx"), 0);
    expect(modelFingerprint(path.join(c, "model.onnx"))).not.toBe(fp);
    // Files that are not the model's (config, tokenizer, a backup) do not count.
    const d = await modelFolder("d");
    await writeFile(path.join(d, "config.json"), '{"changed": true}');
    await writeFile(path.join(d, "model.onnx.bak"), "an old copy");
    expect(modelFingerprint(path.join(d, "model.onnx"))).toBe(fp);
  });

  it("tells prompts apart by their token ids", () => {
    expect(promptFingerprint([1, 2, 3])).toBe(promptFingerprint([1, 2, 3]));
    expect(promptFingerprint([1, 2, 3])).not.toBe(promptFingerprint([1, 2, 4]));
    expect(promptFingerprint([1, 2])).not.toBe(promptFingerprint([1, 2, 0]));
  });
});
