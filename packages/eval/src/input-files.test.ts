/** Benchmark and replies files users bring from elsewhere, and what ssb-eval says about each (an inputs audit). */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseBenchmarkSpec } from "./benchmarks.js";
import { loadBenchmark, parseBenchmarkText } from "./load-benchmark.js";
import { loadRepliesGenerator } from "./replies-generator.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-eval-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const spec = parseBenchmarkSpec(
  { name: "mine", file: "x.jsonl", questionField: "question", answerField: "answer", idField: "id" },
  "spec.json",
);

describe("benchmark files from elsewhere", () => {
  it("an id or gold past 2^53 is refused with its digits, not rounded (a right reply graded wrong)", () => {
    expect(() =>
      parseBenchmarkText('{"id": "a", "question": "q", "answer": 12345678901234567890}\n', spec, "x.jsonl"),
    ).toThrow(
      'x.jsonl:1: field "answer" is the integer 12345678901234567890 (read as 12345678901234567000), too large for a JSON number to hold exactly (past 2^53, JSON readers round it); write it as a string: "answer": "12345678901234567890"',
    );
    const ids =
      '{"id": 12345678901234567891, "question": "q", "answer": "1"}\n{"id": 12345678901234567892, "question": "q", "answer": "1"}\n';
    expect(() => parseBenchmarkText(ids, spec, "x.jsonl")).toThrow(
      /^x\.jsonl:1: field "id" is the integer 12345678901234567891 /,
    );
    expect(
      parseBenchmarkText(
        '{"id": 9007199254740991, "question": "q", "answer": 9007199254740991}\n',
        spec,
        "x.jsonl",
      ),
    ).toEqual([{ id: "9007199254740991", question: "q", answer: "9007199254740991" }]);
  });

  it("a non-integer numeric id is refused as ssb-rollout and ssb-curate refuse it; 7 and 7.0 are whole", () => {
    expect(() =>
      parseBenchmarkText('{"id": 1.5, "question": "q", "answer": "1"}\n', spec, "x.jsonl"),
    ).toThrow(
      'x.jsonl:1: field "id" is the number 1.5: an id must be a non-empty string or a whole number (write it as a string, "id": "1.5", to keep it)',
    );
    expect(parseBenchmarkText('{"id": 7.0, "question": "q", "answer": "1"}\n', spec, "x.jsonl")[0]?.id).toBe(
      "7",
    );
  });

  it("a UTF-16 file is named as such; a BOM mid-file is skipped", () => {
    const u16 = file(
      "u16.jsonl",
      Buffer.from('\uFEFF{"id": "a", "question": "q", "answer": "1"}\r\n', "utf16le"),
    );
    expect(() => loadBenchmark({ ...spec, file: u16 })).toThrow(`${u16}: the file is UTF-16, not UTF-8`);
    const text =
      '{"id": "a", "question": "q", "answer": "1"}\n\uFEFF{"id": "b", "question": "q", "answer": "2"}\n';
    expect(parseBenchmarkText(text, spec, "x.jsonl").map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("a JSON array or pretty-printed file is not JSON Lines; NaN is named", () => {
    expect(() =>
      parseBenchmarkText('[{"id": "a", "question": "q", "answer": "1"}]\n', spec, "x.json"),
    ).toThrow(
      /^x\.json:1: expected a JSON object, found an array; a line holding an array of records is not JSON Lines/,
    );
    expect(() => parseBenchmarkText('{\n  "id": "a",\n', spec, "x.json")).toThrow(
      /^x\.json:1:2: not valid JSON .*not JSON Lines/,
    );
    expect(() =>
      parseBenchmarkText('{"id": "a", "question": "q", "answer": NaN}\n', spec, "x.jsonl"),
    ).toThrow(/NaN is not JSON: Python's json writes it/);
  });

  it("MATH's and AIME's fields are named, with the renaming", () => {
    expect(() =>
      parseBenchmarkText('{"problem": "p", "solution": "s", "answer": "2"}\n', spec, "m.jsonl"),
    ).toThrow(
      'm.jsonl:1: field "question" (question) must be a non-empty string; this record has "problem", "solution", "answer" (MATH\'s fields): rename "problem" to "question"',
    );
    expect(() =>
      parseBenchmarkText('{"ID": "2024-I-1", "Problem": "p", "Answer": 204}\n', spec, "a.jsonl"),
    ).toThrow(
      /rename "ID" to "id", "Problem" to "question", "Answer" to "answer" .*; or name its fields in the benchmark spec \("idField": "ID", "questionField": "Problem", "answerField": "Answer"\)$/,
    );
    // A spec that misnames a field is told which setting reads it, not only to rename the file's field.
    const misnamed = { ...spec, questionField: "q" };
    expect(() =>
      parseBenchmarkText('{"id": "a", "question": "p", "answer": "2"}\n', misnamed, "c.jsonl"),
    ).toThrow(
      /^c\.jsonl:1: field "q" \(question\) must be a non-empty string; this record has "id", "question", "answer".*; or name its fields in the benchmark spec \("questionField": "question"\)$/,
    );
    // No field under another name: the general pointer.
    expect(() => parseBenchmarkText('{"id": "a", "text": "p", "answer": "2"}\n', spec, "d.jsonl")).toThrow(
      /; or name its fields in a benchmark spec \("questionField", "answerField", "idField"\)$/,
    );
  });
});

describe("replies files from elsewhere", () => {
  const reply = (problemId: string, sampleIndex = 0): string =>
    JSON.stringify({ problemId, sampleIndex, text: "t" });

  it("a null or array line names the file and line", () => {
    const nul = file("null.jsonl", `${reply("a")}\nnull\n`);
    expect(() => loadRepliesGenerator(nul)).toThrow(`${nul}:2: expected a JSON object, found null`);
    const arr = file("arr.jsonl", `[${reply("a")}]\n`);
    expect(() => loadRepliesGenerator(arr)).toThrow(
      new RegExp(`^${arr}:1: expected a JSON object, found an array`),
    );
  });

  it("a problemId past 2^53, UTF-16, a BOM mid-file", () => {
    const big = file("big.jsonl", '{"problemId": 12345678901234567891, "sampleIndex": 0, "text": "t"}\n');
    expect(() => loadRepliesGenerator(big)).toThrow(
      /big\.jsonl:1: field "problemId" is the integer 12345678901234567891 /,
    );
    const u16 = file("u16r.jsonl", Buffer.from(`\uFEFF${reply("a")}\r\n`, "utf16le"));
    expect(() => loadRepliesGenerator(u16)).toThrow(`${u16}: the file is UTF-16, not UTF-8`);
    const cat = file("cat.jsonl", `${reply("a")}\n\uFEFF${reply("b")}\n`);
    expect(() =>
      loadRepliesGenerator(cat).checkCoverage?.([{ benchmark: "x", problemIds: ["a", "b"] }], 1),
    ).not.toThrow();
  });

  it("read in chunks: a file of several MiB, its fingerprint the hash of its bytes", () => {
    const lines = Array.from({ length: 30_000 }, (_, i) =>
      JSON.stringify({ problemId: `p${i}`, sampleIndex: 0, text: "é".repeat(60) }),
    );
    const path = file("many.jsonl", `${lines.join("\n")}\n`);
    const generator = loadRepliesGenerator(path);
    expect(generator.fingerprint).toBe(
      `sha256:${createHash("sha256").update(readFileSync(path)).digest("hex")}`,
    );
    const ids = lines.map((_, i) => `p${i}`);
    expect(() => generator.checkCoverage?.([{ benchmark: "x", problemIds: ids }], 1)).not.toThrow();
  });

  it("replies numbered by line alone (ssb-rollout's ids for a file without ids) are explained", () => {
    const path = file("rollouts.jsonl", `${reply("1")}\n${reply("2")}\n`);
    expect(() =>
      loadRepliesGenerator(path).checkCoverage?.(
        [{ benchmark: "mine", problemIds: ["line-1", "line-2"] }],
        1,
      ),
    ).toThrow(
      `${path}: no reply for 2 of the 2 samples this run needs (the first: mine problem "line-1" sample 0); the replies name problems by line number alone ("1", as ssb-rollout numbers a file without ids), where ssb-eval names a benchmark's id-less problems "line-N" ("line-1"): rewrite their ids with jq -c '.problemId |= "line-\\(.)"' FILE > NEW`,
    );
  });

  it("replies numbered by line for a benchmark with ids of its own (MATH500 through ssb-rollout) are explained", () => {
    const path = file("m5.jsonl", `${reply("1")}\n${reply("2")}\n`);
    const needs = [
      { benchmark: "math500", problemIds: ["test/precalculus/807.json", "test/algebra/2584.json"] },
    ];
    expect(() => loadRepliesGenerator(path).checkCoverage?.(needs, 1)).toThrow(
      `${path}: no reply for 2 of the 2 samples this run needs (the first: math500 problem "test/precalculus/807.json" sample 0); the replies name problems by line number ("1", as ssb-rollout numbers a problems file without "id"), where math500's problems go by their ids ("test/precalculus/807.json"): sample from a problems file that gives each problem its id as "id" (jq -c '{id: .unique_id, question: .problem}' math500/test.jsonl > NEW)`,
    );
    // Replies that are not numbers get no such hint.
    const other = file("other.jsonl", `${reply("x")}\n`);
    expect(() => loadRepliesGenerator(other).checkCoverage?.(needs, 1)).toThrow(/sample 0\)$/);
  });
});
