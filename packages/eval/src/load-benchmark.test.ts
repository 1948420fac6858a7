import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { goldAnswer, parseBenchmarkSpec } from "./benchmarks.js";
import { packageDataDir } from "./data-dir.js";
import { loadBenchmark, parseBenchmarkText } from "./load-benchmark.js";

describe("shipped benchmarks", () => {
  it("GSM8K test: 1319 problems, gold after ####", () => {
    const { problems } = loadBenchmark("gsm8k");
    expect(problems).toHaveLength(1319);
    expect(problems[0]).toMatchObject({ id: "line-1", answer: "18" });
    expect(problems.every((p) => !p.answer.includes("####") && p.answer.length > 0)).toBe(true);
    expect(problems.some((p) => p.answer.includes(","))).toBe(true); // e.g. 1,080: the verifier handles separators
  });

  it("MATH500: 500 problems with subject, level and unique ids", () => {
    const { problems } = loadBenchmark("math500");
    expect(problems).toHaveLength(500);
    expect(problems[0]).toMatchObject({ id: "test/precalculus/807.json", subject: "Precalculus", level: 2 });
    const subjects = new Map<string, number>();
    for (const p of problems) subjects.set(p.subject ?? "", (subjects.get(p.subject ?? "") ?? 0) + 1);
    expect(subjects.get("Algebra")).toBe(124);
    expect(subjects.get("Counting & Probability")).toBe(38);
  });

  it("AIME 2024: 30 problems, 3-digit answers with leading zeros kept as text", () => {
    const { problems } = loadBenchmark("aime24");
    expect(problems).toHaveLength(30);
    expect(problems.every((p) => /^\d{3}$/.test(p.answer))).toBe(true);
    expect(problems[0]?.id).toBe("60");
  });

  it("the data folder ships the README with licenses", () => {
    const readme = readFileSync(join(packageDataDir(), "README.md"), "utf8");
    expect(readme).toContain("License: MIT");
  });

  it("limit and ids select problems in file order", () => {
    expect(loadBenchmark("aime24", { limit: 3 }).problems.map((p) => p.id)).toEqual(["60", "61", "62"]);
    expect(loadBenchmark("aime24", { ids: ["89", "61"] }).problems.map((p) => p.id)).toEqual(["61", "89"]);
    expect(() => loadBenchmark("aime24", { ids: ["1"] })).toThrow(/unknown problem ids 1/);
    expect(() => loadBenchmark("aime24", { ids: [] })).toThrow(
      'benchmark "aime24": the list of problem ids to keep is empty',
    );
    expect(() => loadBenchmark("gsm9k")).toThrow(/unknown benchmark "gsm9k"/);
  });
});

describe("custom benchmarks", () => {
  const spec = parseBenchmarkSpec(
    { name: "mine", file: "x.jsonl", questionField: "q", answerField: "a", idField: "id" },
    "spec.json",
  );

  it("reads question / answer / id by field name", () => {
    const text = '{"id": 7, "q": "What?", "a": 3}\n\n{"id": "b", "q": "Why?", "a": "\\\\frac12"}\n';
    expect(parseBenchmarkText(text, spec, "x.jsonl")).toEqual([
      { id: "7", question: "What?", answer: "3" },
      { id: "b", question: "Why?", answer: "\\frac12" },
    ]);
  });

  it("reads a file that starts with a byte-order mark, keeping its line numbers", () => {
    const text = '\uFEFF{"id": 7, "q": "What?", "a": 3}\n{"id": 7, "q": "Again?", "a": 4}\n';
    expect(() => parseBenchmarkText(text, spec, "x.jsonl")).toThrow(
      'x.jsonl:2: duplicate id "7" (first on line 1)',
    );
    expect(parseBenchmarkText(text.split("\n")[0] ?? "", spec, "x.jsonl")).toEqual([
      { id: "7", question: "What?", answer: "3" },
    ]);
  });

  it("names file, line and field in errors", () => {
    expect(() => parseBenchmarkText('{"id":1,"q":"x","a":"1"}\n{oops\n', spec, "x.jsonl")).toThrow(
      /^x\.jsonl:2:2: not valid JSON/,
    );
    expect(() => parseBenchmarkText('{"id":1,"a":"1"}\n', spec, "x.jsonl")).toThrow(
      'x.jsonl:1: field "q" (question)',
    );
    expect(() =>
      parseBenchmarkText('{"id":1,"q":"x","a":"1"}\n{"id":1,"q":"y","a":"2"}\n', spec, "x.jsonl"),
    ).toThrow('x.jsonl:2: duplicate id "1" (first on line 1)');
    expect(() =>
      parseBenchmarkText('{"id":1,"q":"x","a":"no hashes"}\n', { ...spec, goldFormat: "gsm8k" }, "x.jsonl"),
    ).toThrow('x.jsonl:1: field "a" has no gold answer in "gsm8k" format');
    expect(() =>
      parseBenchmarkSpec(
        { name: "x", file: "f", questionField: "q", answerField: "a", goldFormat: "hash" },
        "s.json",
      ),
    ).toThrow('s.json: field "goldFormat" must be one of plain, gsm8k, boxed');
    expect(() =>
      parseBenchmarkSpec({ name: "x", file: "f", questionField: "q", answerField: "a", extra: 1 }, "s.json"),
    ).toThrow('s.json: unknown field "extra"');
  });

  it("refuses a file that holds no problems, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "ssb-eval-empty-"));
    try {
      for (const [name, text] of [
        ["empty.jsonl", ""],
        ["blank.jsonl", "\n  \n\n"],
      ] as const) {
        writeFileSync(join(dir, name), text);
        expect(() => loadBenchmark({ ...spec, file: name }, { dataDir: dir })).toThrow(
          `benchmark "mine": ${join(dir, name)} holds no problems`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gold formats", () => {
    expect(goldAnswer("work\n#### 1,080", "gsm8k")).toBe("1,080");
    expect(goldAnswer("a #### 1 #### 2", "gsm8k")).toBe("2");
    expect(goldAnswer("so $\\boxed{\\frac{1}{2}}$.", "boxed")).toBe("\\frac{1}{2}");
    expect(goldAnswer("  025 ", "plain")).toBe("025");
    expect(goldAnswer("no box", "boxed")).toBeNull();
  });
});
