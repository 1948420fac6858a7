/** Problem files users bring from elsewhere, and what ssb-grpo says about each (found by an inputs audit). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readProblems } from "./problems.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-grpo-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("problems files from elsewhere", () => {
  it("a gold or id past 2^53 is refused with its digits, not rounded (a right reply graded wrong)", () => {
    const gold = file("gold.jsonl", '{"id": "a", "question": "q", "answer": 12345678901234567890}\n');
    expect(() => readProblems(gold)).toThrow(
      `${gold}:1: field "answer" is the integer 12345678901234567890 (read as 12345678901234567000), too large for a JSON number to hold exactly (past 2^53, JSON readers round it); write it as a string: "answer": "12345678901234567890"`,
    );
    const id = file("id.jsonl", '{"id": 9007199254740993, "question": "q", "answer": "1"}\n');
    expect(() => readProblems(id)).toThrow(
      /id\.jsonl:1: field "id" is the integer 9007199254740993 \(read as 9007199254740992\)/,
    );
  });

  it("a UTF-16 file is named as such; a BOM mid-file is skipped", () => {
    const u16 = file(
      "u16.jsonl",
      Buffer.from('\uFEFF{"id": "a", "question": "q", "answer": "1"}\r\n', "utf16le"),
    );
    expect(() => readProblems(u16)).toThrow(`${u16}: the file is UTF-16, not UTF-8`);
    const cat = file(
      "cat.jsonl",
      '{"id": "a", "question": "q", "answer": "1"}\n\uFEFF{"id": "b", "question": "q", "answer": "2"}\n',
    );
    expect(readProblems(cat).map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("a JSON array or pretty-printed file is not JSON Lines; NaN is named", () => {
    const pretty = file("p.json", '[\n  {"id": "a", "question": "q", "answer": "1"}\n]\n');
    expect(() => readProblems(pretty)).toThrow(
      /p\.json:1:2: not valid JSON .*not JSON Lines \(one JSON object per line\).*jq -c/,
    );
    const array = file("a.json", '[{"id": "a", "question": "q", "answer": "1"}]\n');
    expect(() => readProblems(array)).toThrow(
      /a\.json:1: expected a problem record to be a JSON object, found an array; .*not JSON Lines/,
    );
    const nan = file("nan.jsonl", '{"id": "a", "question": "q", "answer": NaN}\n');
    expect(() => readProblems(nan)).toThrow(/NaN is not JSON: Python's json writes it/);
  });

  it("MATH-500's fields are named, with the renaming", () => {
    const math = file(
      "math500.jsonl",
      '{"problem": "1+1?", "solution": "\\\\boxed{2}", "answer": "2", "subject": "Algebra", "level": 1, "unique_id": "x"}\n',
    );
    expect(() => readProblems(math)).toThrow(
      /math500\.jsonl:1: field "question" must be a string, found nothing \(the field is missing\); this record has "problem", "solution", "answer", "subject", "level", "unique_id" \(MATH's fields\): rename "problem" to "question"/,
    );
  });
});
