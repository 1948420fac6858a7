/** The problem files users bring from elsewhere, and what curation says about each (found by an inputs audit). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseProblem, parseRollout } from "./parse-records.js";
import { readProblemsFile } from "./problems-file.js";
import { readRolloutsFile } from "./rollouts-file.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-curation-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("problems files from elsewhere", () => {
  it("ids and golds past 2^53 are refused with the digits written, not rounded into a duplicate", async () => {
    const path = file(
      "big.jsonl",
      '{"id": 12345678901234567891, "question": "q", "answer": "1"}\n{"id": 12345678901234567892, "question": "q", "answer": "1"}\n',
    );
    await expect(readProblemsFile(path)).rejects.toThrow(
      `${path}:1: field "id" is the integer 12345678901234567891 (read as 12345678901234567000), too large for a JSON number to hold exactly (past 2^53, JSON readers round it); write it as a string: "id": "12345678901234567891"`,
    );
    const gold = file("gold.jsonl", '{"id": "a", "question": "q", "answer": 9007199254740993}\n');
    await expect(readProblemsFile(gold)).rejects.toThrow(
      /gold\.jsonl:1: field "answer" is the integer 9007199254740993 .*"answer": "9007199254740993"$/,
    );
    expect(() => parseProblem({ id: 2 ** 53, question: "q", answer: "1" }, "p:1")).toThrow(
      /^p:1: field "id" is the integer 9007199254740992 \(as read/,
    );
    expect(parseProblem({ id: 2 ** 53 - 1, question: "q", answer: "1" }).id).toBe("9007199254740991");
  });

  it("a rollout's problemId past 2^53 too", async () => {
    const path = file("r.jsonl", '{"problemId": 12345678901234567891, "sampleIndex": 0, "text": "t"}\n');
    await expect(readRolloutsFile(path)).rejects.toThrow(
      /r\.jsonl:1: field "problemId" is the integer 12345678901234567891/,
    );
  });

  it("a UTF-16 file (PowerShell's >) is named as such", async () => {
    const path = file(
      "u16.jsonl",
      Buffer.from('\uFEFF{"id": "a", "question": "q", "answer": "1"}\r\n', "utf16le"),
    );
    await expect(readProblemsFile(path)).rejects.toThrow(`${path}: the file is UTF-16, not UTF-8`);
  });

  it("a byte-order mark in the middle (files joined with cat) is skipped", async () => {
    const path = file(
      "cat.jsonl",
      '\uFEFF{"id": "a", "question": "q", "answer": "1"}\n\uFEFF{"id": "b", "question": "q", "answer": "2"}\n',
    );
    expect((await readProblemsFile(path)).map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("a JSON array or a pretty-printed file is said to be not JSON Lines", async () => {
    const array = file("a.json", '[{"id": "a", "question": "q", "answer": "1"}]\n');
    await expect(readProblemsFile(array)).rejects.toThrow(
      /a\.json:1: expected a problem record to be a JSON object, found an array; .*not JSON Lines.*jq -c '\.\[\]'/,
    );
    const pretty = file("p.json", '{\n  "id": "a",\n  "question": "q"\n}\n');
    await expect(readProblemsFile(pretty)).rejects.toThrow(
      /p\.json:1:2: not valid JSON .*not JSON Lines \(one JSON object per line\)/,
    );
  });

  it("NaN is named as Python's", async () => {
    const path = file("nan.jsonl", '{"id": "a", "question": "q", "answer": NaN}\n');
    await expect(readProblemsFile(path)).rejects.toThrow(
      /nan\.jsonl:1:\d+: not valid JSON \(.*NaN is not JSON: Python's json writes it/,
    );
  });

  it("MATH's and AIME's fields are named, with the renaming", () => {
    expect(() => parseProblem({ problem: "p", solution: "s", answer: "2" }, "m:1", "1")).toThrow(
      `m:1: field "question" must be a string, found nothing (the field is missing); this record has "problem", "solution", "answer" (MATH's fields): rename "problem" to "question"`,
    );
    expect(() => parseProblem({ ID: "2024-I-1", Problem: "p", Answer: 204 }, "a:1", "1")).toThrow(
      /this record has "ID", "Problem", "Answer" \(AIME's fields as on the Hugging Face Hub\): rename "ID" to "id", "Problem" to "question", "Answer" to "answer"/,
    );
    expect(() => parseProblem({ question: "q", Answer: "2" }, "c:1", "1")).toThrow(
      /c:1: field "answer" must be the gold answer as a string, found nothing \(the field is missing\); .*rename "Answer" to "answer"/,
    );
  });

  it("a non-integer id is refused, as ssb-rollout refuses it", () => {
    expect(() => parseProblem({ id: 1.5, question: "q", answer: "1" }, "p:3")).toThrow(
      'p:3: field "id" is the number 1.5: an id must be a non-empty string or a whole number (write it as a string, "id": "1.5", to keep it)',
    );
    expect(() => parseRollout({ problemId: 2.5, sampleIndex: 0, text: "t" }, "r:1")).toThrow(
      /field "problemId" is the number 2\.5/,
    );
  });
});
