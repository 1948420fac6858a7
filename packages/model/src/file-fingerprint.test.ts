import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { fileEdgesFingerprint } from "./file-fingerprint.js";

const dir = mkdtempSync(path.join(tmpdir(), "ssb-model-fp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("changes with a byte at either end of a large file or its size, not with where the file is", () => {
  const a = path.join(dir, "a", "w.bin");
  const b = path.join(dir, "b", "w.bin");
  for (const f of [a, b]) {
    rmSync(path.dirname(f), { recursive: true, force: true });
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, Buffer.alloc(3 << 20, 1));
  }
  const fp = fileEdgesFingerprint([a]);
  expect(fp).toMatch(/^[0-9a-f]{32}$/);
  expect(fileEdgesFingerprint([b])).toBe(fp);
  const poke = (at: number) => {
    const fd = openSync(b, "r+");
    writeSync(fd, Buffer.of(9), 0, 1, at);
    closeSync(fd);
  };
  poke((3 << 20) - 1);
  expect(fileEdgesFingerprint([b])).not.toBe(fp);
  writeFileSync(b, Buffer.alloc(3 << 20, 1));
  poke(0);
  expect(fileEdgesFingerprint([b])).not.toBe(fp);
  writeFileSync(b, Buffer.alloc((3 << 20) + 1, 1));
  expect(fileEdgesFingerprint([b])).not.toBe(fp);
});
