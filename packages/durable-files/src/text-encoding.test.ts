import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonFile } from "./json-file.js";
import { readJsonlFile, scanJsonl } from "./jsonl-file.js";
import { looksLikeUtf16 } from "./text-encoding.js";

const root = mkdtempSync(join(tmpdir(), "ssb-text-encoding-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const UTF16 =
  /^(?<file>\S+): the file is UTF-16, not UTF-8 \(Windows PowerShell's ">" and Out-File write UTF-16\); convert it/;
const le = (text: string): Buffer => Buffer.from(text, "utf16le");
const be = (text: string): Buffer => Buffer.from(text, "utf16le").swap16();

describe("UTF-16 files (PowerShell's > and Out-File)", () => {
  it("a JSONL journal in UTF-16 is refused naming the encoding, with or without a mark, LE or BE", () => {
    for (const bytes of [
      le('\uFEFF{"id":"p1"}\r\n{"id":"p2"}\r\n'),
      be('\uFEFF{"id":"p1"}\n'),
      le('{"id":"p1"}\n{"id":"p2"}\n'),
    ]) {
      expect(() => scanJsonl(bytes, "out.jsonl")).toThrow(UTF16);
    }
  });

  it("one UTF-16 record without a final newline is refused, not taken for a torn write and cut off", () => {
    const file = join(root, "one.jsonl");
    const bytes = le('\uFEFF{"id":"p1","done":true}');
    writeFileSync(file, bytes);
    expect(() => readJsonlFile(file)).toThrow(UTF16);
    expect(readFileSync(file)).toEqual(bytes);
  });

  it("a JSON file in UTF-16 says so instead of 1:1 Unexpected token", () => {
    const text = le('\uFEFF{\r\n  "n": 4\r\n}\r\n').toString("utf8");
    expect(() => parseJsonFile(text, "config.json")).toThrow(UTF16);
    expect(() => parseJsonFile(le('{"n": 4}').toString("utf8"), "config.json")).toThrow(UTF16);
  });

  it("UTF-8 files, with or without a mark, and a zero-filled tail are not UTF-16", () => {
    expect(looksLikeUtf16('\uFEFF{"id":1}')).toBe(false);
    expect(looksLikeUtf16('{"id":1}')).toBe(false);
    expect(looksLikeUtf16("\0\0\0\0\0\0\0\0")).toBe(false);
    expect(looksLikeUtf16("")).toBe(false);
    // A power loss can leave a journal of NUL bytes: that is still a torn write, dropped as before.
    expect(scanJsonl(Buffer.alloc(16), "out.jsonl").torn).toEqual({ line: 1, bytes: 16 });
    expect(scanJsonl(Buffer.from('{"a":1}\n'), "out.jsonl").records).toHaveLength(1);
  });
});
