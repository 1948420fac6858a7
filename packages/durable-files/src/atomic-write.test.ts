import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fsyncTree, writeFileAtomic } from "./atomic-write.js";

const root = mkdtempSync(join(tmpdir(), "ssb-atomic-write-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("replaces a file with text or bytes and leaves no temporary file", () => {
    const file = join(root, "summary.json");
    writeFileSync(file, "old");
    writeFileAtomic(file, '{"done": 3}\n');
    expect(readFileSync(file, "utf8")).toBe('{"done": 3}\n');
    writeFileAtomic(file, new Uint8Array([104, 105]));
    expect(readFileSync(file, "utf8")).toBe("hi");
    expect(readdirSync(root)).toEqual(["summary.json"]);
  });

  it("leaves the old file as it was when the new one cannot be put in place", () => {
    // The rename fails (a folder is in the way); the temporary file is gone either way.
    const dir = join(root, "blocked");
    mkdirSync(join(dir, "target"), { recursive: true });
    writeFileSync(join(dir, "target", "keep.txt"), "kept");
    expect(() => writeFileAtomic(join(dir, "target"), "new")).toThrow();
    expect(readFileSync(join(dir, "target", "keep.txt"), "utf8")).toBe("kept");
    expect(readdirSync(dir)).toEqual(["target"]);
  });

  it.runIf(process.getuid?.() !== 0)("throws on a read-only folder and changes nothing", () => {
    const dir = join(root, "read-only");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.json"), "1");
    chmodSync(dir, 0o555);
    try {
      expect(() => writeFileAtomic(join(dir, "a.json"), "2")).toThrow(/EACCES/);
      expect(readFileSync(join(dir, "a.json"), "utf8")).toBe("1");
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe("fsyncTree", () => {
  it("syncs every file of a nested folder (a checkpoint before its rename)", () => {
    const dir = join(root, "step-00000004.tmp");
    mkdirSync(join(dir, "adapter"), { recursive: true });
    writeFileSync(join(dir, "trainer_state.json"), "{}");
    writeFileSync(join(dir, "adapter", "adapter_model.safetensors"), "x");
    writeFileSync(join(dir, "adapter", "adapter_config.json"), "{}");
    expect(fsyncTree(dir)).toBe(3);
    expect(() => fsyncTree(join(root, "missing"))).toThrow(/ENOENT/);
  });
});
