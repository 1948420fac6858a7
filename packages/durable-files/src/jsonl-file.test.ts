import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonlFile, repairJsonlFile, repairJsonlTail, scanJsonl } from "./jsonl-file.js";

const root = mkdtempSync(join(tmpdir(), "ssb-jsonl-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const scan = (text: string) => scanJsonl(Buffer.from(text, "utf8"), "out.jsonl");
const values = (text: string) => scan(text).records.map((r) => r.value);

describe("scanJsonl", () => {
  it("reads whole lines with their line numbers; blank lines are skipped but counted", () => {
    const s = scan('{"a":1}\n\n{"a":2}\n');
    expect(s.records.map((r) => [r.line, r.value, r.where])).toEqual([
      [1, { a: 1 }, "out.jsonl:1"],
      [3, { a: 2 }, "out.jsonl:3"],
    ]);
    expect(s).toMatchObject({ keepBytes: 17, missingNewline: false, torn: null });
  });

  it("drops a torn last line (a write cut short) and says which line and how long", () => {
    const s = scan('{"a":1}\n{"a":2}\n{"a":3,"te');
    expect(s.records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(s.torn).toEqual({ line: 3, bytes: 10 });
    expect(s.keepBytes).toBe(16);
    expect(s.missingNewline).toBe(false);
  });

  it("keeps a whole last record that lacks only its newline", () => {
    const s = scan('{"a":1}\n{"a":2}');
    expect(s.records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(s).toMatchObject({ keepBytes: 15, missingNewline: true, torn: null });
  });

  it("refuses a bad line that ends in a newline (a hand edit, not a torn write), naming file:line:column", () => {
    expect(() => scan('{"a":1}\n{"a":}\n{"a":3}\n')).toThrow(
      /^out\.jsonl:2:6: not valid JSON \(Unexpected token '\}'\)$/,
    );
    // Even when it is the last line: its newline shows it was written whole.
    expect(() => scan('{"a":1}\n{"a":2,"te\n')).toThrow(/^out\.jsonl:2:\d+: not valid JSON/);
  });

  it("builds the caller's error through badLine", () => {
    const badLine = (where: string, reason: string) =>
      new RangeError(`${where}: not a metrics record (${reason})`);
    expect(() => scanJsonl(Buffer.from("{}\nnope\n"), "m.jsonl", { badLine })).toThrow(RangeError);
    expect(() => scanJsonl(Buffer.from("{}\nnope\n"), "m.jsonl", { badLine })).toThrow(
      /^m\.jsonl:2:2: not a metrics record/,
    );
  });

  it("does not quote a long bad line back (V8's copy of the text is left out)", () => {
    const long = `{"text":"${"x".repeat(5000)}",}\n`;
    let message = "";
    try {
      scan(`{"a":1}\n${long}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^out\.jsonl:2:\d+: not valid JSON/);
    expect(message.length).toBeLessThan(200);
  });

  it("skips a byte-order mark, keeping it in keepBytes; byte ranges point into the file", () => {
    const text = '\uFEFF{"a":1}\n{"b":"é"}\n';
    const bytes = Buffer.from(text, "utf8");
    const s = scanJsonl(bytes, "f.jsonl");
    expect(s.records.map((r) => r.value)).toEqual([{ a: 1 }, { b: "é" }]);
    expect(s.keepBytes).toBe(bytes.length);
    expect(s.records.map((r) => bytes.toString("utf8", r.start, r.end))).toEqual(['{"a":1}', '{"b":"é"}']);
  });

  it("drops blanks after the last newline without calling them torn; reads CRLF lines", () => {
    expect(scan('{"a":1}\n  ')).toMatchObject({ keepBytes: 8, missingNewline: false, torn: null });
    expect(values('{"a":1}\r\n{"a":2}\r\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(scan("")).toMatchObject({ records: [], keepBytes: 0, missingNewline: false, torn: null });
  });

  it("a torn first line in a file of one line", () => {
    expect(scan('{"problemId":"p')).toMatchObject({
      records: [],
      keepBytes: 0,
      torn: { line: 1, bytes: 15 },
    });
  });
});

describe("readJsonlFile and repairJsonlTail", () => {
  it("reads a missing file as empty and names a folder", () => {
    expect(readJsonlFile(join(root, "missing.jsonl")).records).toEqual([]);
    const dir = join(root, "a-folder.jsonl");
    mkdirSync(dir);
    expect(() => readJsonlFile(dir)).toThrow(`${dir} is a folder, not a JSONL file`);
  });

  it("cuts off a torn line so the next append starts on its own line", () => {
    const file = join(root, "torn.jsonl");
    writeFileSync(file, '{"a":1}\n{"a":2');
    const s = readJsonlFile(file);
    expect(repairJsonlFile(file, s)).toBe(8);
    expect(readFileSync(file, "utf8")).toBe('{"a":1}\n');
  });

  it("ends a whole last record with its newline, keeping it", () => {
    const file = join(root, "no-newline.jsonl");
    writeFileSync(file, '{"a":1}\n{"a":2}');
    const fd = openSync(file, "r+");
    try {
      expect(repairJsonlTail(fd, readJsonlFile(file))).toBe(16);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, "utf8")).toBe('{"a":1}\n{"a":2}\n');
  });

  it("leaves a clean file alone and a missing one missing", () => {
    const file = join(root, "clean.jsonl");
    writeFileSync(file, '{"a":1}\n');
    expect(repairJsonlFile(file, readJsonlFile(file))).toBe(8);
    expect(readFileSync(file, "utf8")).toBe('{"a":1}\n');
    expect(repairJsonlFile(join(root, "none.jsonl"), readJsonlFile(join(root, "none.jsonl")))).toBe(0);
  });
});
