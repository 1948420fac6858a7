import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isUnsafeInteger, unsafeIntegerError, unsafeIntegerLiterals } from "./exact-integers.js";
import { fieldRenameHint } from "./field-names.js";
import { parseJsonlLine, textFileLines } from "./jsonl-line.js";

describe("integers past 2^53", () => {
  it("the boundary: 2^53 - 1 is exact, 2^53 and 9007199254740993 (read as 2^53) are not", () => {
    expect(isUnsafeInteger(9007199254740991)).toBe(false);
    expect(isUnsafeInteger(JSON.parse("9007199254740992"))).toBe(true);
    expect(isUnsafeInteger(JSON.parse("9007199254740993"))).toBe(true);
    expect(isUnsafeInteger(JSON.parse("-9007199254740993"))).toBe(true);
    expect(isUnsafeInteger(1.5)).toBe(false);
    expect(isUnsafeInteger("12345678901234567891")).toBe(false);
  });

  it("the literals as written, with their paths, strings skipped", () => {
    const text =
      '{"q": "12345678901234567891 \\" 99999999999999999", "id": 12345678901234567891, "m": {"a": [1, 9007199254740993]}, "ok": 12}';
    expect(unsafeIntegerLiterals(text)).toEqual([
      { path: "id", literal: "12345678901234567891", offset: text.indexOf("12345678901234567891,") },
      { path: "m.a[1]", literal: "9007199254740993", offset: text.indexOf("9007") },
    ]);
  });

  it("a line's exact field is refused with the digits written; other fields are left alone", () => {
    const line = '{"id": 12345678901234567891, "answer": "4", "ts": 1700000000000000000123}';
    expect(() => parseJsonlLine(line, "p.jsonl", 3, { exactFields: ["id", "answer"] })).toThrow(
      'p.jsonl:3: field "id" is the integer 12345678901234567891 (read as 12345678901234567000), too large for a JSON number to hold exactly (past 2^53, JSON readers round it); write it as a string: "id": "12345678901234567891"',
    );
    expect(
      parseJsonlLine('{"id": "12345678901234567891", "n": 9007199254740993}', "p.jsonl", 1, {
        exactFields: ["id"],
      }),
    ).toEqual({ id: "12345678901234567891", n: 9007199254740992 });
  });

  it("without the text, the rounded value is named as such", () => {
    expect(unsafeIntegerError("r", "id", 2 ** 60).message).toMatch(
      /^r: field "id" is the integer 1152921504606846976 \(as read; the digits written may differ\).*"id": "1152921504606846976"$/,
    );
  });
});

describe("lines of input files", () => {
  it("a byte-order mark starts any line (files joined with cat)", () => {
    expect(parseJsonlLine('\uFEFF{"a": 1}', "f.jsonl", 7)).toEqual({ a: 1 });
  });

  it("a UTF-16 file is named as such", () => {
    const utf16 = Buffer.from('\uFEFF{"id": "1"}\n{"id": "2"}\n', "utf16le").toString("utf8");
    const [first = "", second = ""] = utf16.split("\n");
    expect(() => parseJsonlLine(first, "p.jsonl", 1)).toThrow(/^p\.jsonl: the file is UTF-16, not UTF-8/);
    expect(() => parseJsonlLine(second, "p.jsonl", 2)).toThrow(/^p\.jsonl: the file is UTF-16, not UTF-8/);
  });

  it("a JSON array or a pretty-printed file is named as not JSON Lines", () => {
    expect(() => parseJsonlLine("[", "p.json", 1)).toThrow(
      /^p\.json:1:2: not valid JSON \(.*\); the file looks like one JSON document, not JSON Lines \(one JSON object per line\).*jq -c '\.\[\]' FILE > FILE\.jsonl/,
    );
    expect(() => parseJsonlLine('  "id": 1,', "p.json", 2)).toThrow(/not JSON Lines/);
    expect(() => parseJsonlLine('[{"id": 1}, {"id": 2}]', "p.json", 1)).toThrow(
      /^p\.json:1: expected a JSON object, found an array; a line holding an array of records is not JSON Lines/,
    );
    expect(() => parseJsonlLine("null", "p.jsonl", 4)).toThrow(
      /^p\.jsonl:4: expected a JSON object, found null$/,
    );
    expect(parseJsonlLine("null", "p.jsonl", 4, { object: false })).toBeNull();
  });

  it("NaN is named as Python's", () => {
    expect(() => parseJsonlLine('{"answer": NaN}', "p.jsonl", 2)).toThrow(
      /^p\.jsonl:2:12: not valid JSON \(.*NaN is not JSON: Python's json writes it for float\('nan'\); write null or a string\)$/,
    );
  });

  it("textFileLines reads in chunks, numbering lines, seeing every byte", () => {
    const file = join(mkdtempSync(join(tmpdir(), "lines-")), "f.jsonl");
    const long = "é".repeat(700_000); // a two-byte character across the 1 MiB chunk boundary
    writeFileSync(file, `a\r\n${long}\nlast`);
    let bytes = 0;
    const lines = [
      ...textFileLines(file, (b) => {
        bytes += b.length;
      }),
    ];
    expect(lines.map((l) => [l.line, l.text.length])).toEqual([
      [1, 1],
      [2, 700_000],
      [3, 4],
    ]);
    expect(bytes).toBe(3 + 1_400_000 + 1 + 4);
  });
});

describe("fields named otherwise", () => {
  const wanted = { id: [], question: ["problem"], answer: [] };
  it("MATH-500: problem is the question", () => {
    expect(fieldRenameHint({ problem: "1+1?", solution: "\\boxed{2}", answer: "2" }, wanted)).toBe(
      `this record has "problem", "solution", "answer" (MATH's fields): rename "problem" to "question" (jq -c '. + {question: .problem} | del(.problem)' FILE > NEW)`,
    );
  });
  it("AIME on the Hub: fields differing in case", () => {
    expect(fieldRenameHint({ ID: "2024-I-1", Problem: "p", Answer: 204 }, wanted)).toBe(
      `this record has "ID", "Problem", "Answer" (AIME's fields as on the Hugging Face Hub): rename "ID" to "id", "Problem" to "question", "Answer" to "answer" (jq -c '. + {id: .ID, question: .Problem, answer: .Answer} | del(.ID, .Problem, .Answer)' FILE > NEW)`,
    );
  });
  it("nothing to suggest: the fields alone", () => {
    expect(fieldRenameHint({ text: "t" }, wanted)).toBe('this record has "text"');
    expect(fieldRenameHint({}, wanted)).toBe("this record has no fields");
  });
});

it("exact fields are checked when any value is taken too", () => {
  expect(() =>
    parseJsonlLine('{"id": 9007199254740993}', "p.jsonl", 1, { object: false, exactFields: ["id"] }),
  ).toThrow(/^p\.jsonl:1: field "id" is the integer 9007199254740993 \(read as 9007199254740992\)/);
});
