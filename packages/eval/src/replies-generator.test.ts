import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRepliesGenerator, repliesCoverageError } from "./replies-generator.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-replies-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ids = (count: number): string[] => Array.from({ length: count }, (_, i) => `p${i + 1}`);

/** A `has` over a set of "benchmark/problem#index" keys. */
const holding =
  (keys: Iterable<string>) =>
  (b: string, id: string, i: number): boolean =>
    new Set(keys).has(`${b}/${id}#${i}`);

describe("repliesCoverageError", () => {
  it("is null when every (problem, sample) the run needs has a reply", () => {
    const has = holding(["a/p1#0", "a/p1#1", "a/p2#0", "a/p2#1"]);
    expect(repliesCoverageError("r.jsonl", [{ benchmark: "a", problemIds: ids(2) }], 2, has)).toBeNull();
  });

  it("counts the missing samples, names the first, and suggests --limit when the replies cover a prefix", () => {
    const keys = ids(3).flatMap((id) => [`a/${id}#0`, `a/${id}#1`]);
    const message = repliesCoverageError(
      "r.jsonl",
      [{ benchmark: "a", problemIds: ids(10) }],
      2,
      holding(keys),
    );
    expect(message).toBe(
      'r.jsonl: no reply for 14 of the 20 samples this run needs (the first: a problem "p4" sample 0); they cover only the first 3 problems of a: --limit 3 runs those',
    );
  });

  it("suggests --n when every problem has fewer samples, and --benchmarks for a benchmark it answers nothing of", () => {
    const keys = ids(3).map((id) => `a/${id}#0`);
    const needs = [
      { benchmark: "a", problemIds: ids(3) },
      { benchmark: "b", problemIds: ids(2) },
    ];
    expect(repliesCoverageError("r.jsonl", needs, 4, holding(keys))).toBe(
      'r.jsonl: no reply for 17 of the 20 samples this run needs (the first: a problem "p1" sample 1); they answer nothing of b: --benchmarks a runs the others; they hold 1 sample per problem: --n 1 runs those',
    );
  });

  it("does not suggest the --n the run already has", () => {
    const keys = ids(3).map((id) => `a/${id}#0`);
    const needs = [
      { benchmark: "a", problemIds: ids(3) },
      { benchmark: "b", problemIds: ids(2) },
    ];
    // Before: "...; they hold 1 sample per problem: --n 1 runs those" to a run of n = 1.
    expect(repliesCoverageError("r.jsonl", needs, 1, holding(keys))).toBe(
      'r.jsonl: no reply for 2 of the 5 samples this run needs (the first: b problem "p1" sample 0); they answer nothing of b: --benchmarks a runs the others',
    );
  });

  it("gives no hint when the gaps follow no pattern", () => {
    const message = repliesCoverageError(
      "r.jsonl",
      [{ benchmark: "a", problemIds: ids(3) }],
      1,
      holding(["a/p1#0", "a/p3#0"]),
    );
    expect(message).toBe(
      'r.jsonl: no reply for 1 of the 3 samples this run needs (the first: a problem "p2" sample 0)',
    );
  });
});

describe("loadRepliesGenerator", () => {
  it("checks coverage with lines that name no benchmark answering any benchmark", () => {
    const file = join(root, "r.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ problemId: "p1", sampleIndex: 0, text: "1" })}\n${JSON.stringify({ benchmark: "a", problemId: "p2", sampleIndex: 0, text: "2" })}\n`,
    );
    const generator = loadRepliesGenerator(file);
    expect(generator.samples).toBe(false);
    expect(() => generator.checkCoverage?.([{ benchmark: "a", problemIds: ["p1", "p2"] }], 1)).not.toThrow();
    expect(() => generator.checkCoverage?.([{ benchmark: "b", problemIds: ["p1", "p2"] }], 1)).toThrow(
      /no reply for 1 of the 2 samples this run needs \(the first: b problem "p2" sample 0\); they cover only the first 1 problem of b: --limit 1 runs those/,
    );
  });

  it("names a line whose benchmark the run does not have, with the run's benchmarks and the closest one", () => {
    // `"benchmark": "MATH500"` answered nothing of math500, and the error said only how many replies were missing.
    const file = join(root, "foreign.jsonl");
    const lines = [
      { problemId: "p1", sampleIndex: 0, text: "1" },
      { benchmark: "gsm8k", problemId: "p1", sampleIndex: 0, text: "1" },
      { benchmark: "MATH500", problemId: "p1", sampleIndex: 0, text: "1" },
      { benchmark: "MATH500", problemId: "p2", sampleIndex: 0, text: "2" },
      { benchmark: "svamp", problemId: "p2", sampleIndex: 0, text: "2" },
    ];
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const generator = loadRepliesGenerator(file);
    const needs = [
      { benchmark: "gsm8k", problemIds: ["p1"] },
      { benchmark: "math500", problemIds: ["p1", "p2"] },
    ];
    expect(() => generator.checkCoverage?.(needs, 1)).toThrow(
      `${file}: no reply for 1 of the 3 samples this run needs (the first: math500 problem "p2" sample 0); they cover only the first 1 problem of math500: --limit 1 runs those; ${file}:3 names benchmark "MATH500" (did you mean "math500"?), ${file}:5 names benchmark "svamp", which this run does not have (its benchmarks: gsm8k, math500): a reply answers only the benchmark its "benchmark" field names (a line without the field answers any)`,
    );
    // Replies for more benchmarks than the run has are fine when they cover it.
    expect(() => generator.checkCoverage?.([{ benchmark: "gsm8k", problemIds: ["p1"] }], 1)).not.toThrow();
  });
});

describe("loadRepliesGenerator token counts", () => {
  it("refuses a tokens field that is not a non-negative finite number, naming the line", () => {
    for (const [tokens, shown] of [
      ["1e400", "Infinity"], // JSON reads it as Infinity
      ["-3", "-3"],
      ['"12"', '"12"'],
    ] as const) {
      const file = join(root, `bad-tokens-${shown.replace(/\W/g, "")}.jsonl`);
      writeFileSync(file, `{"problemId":"p1","sampleIndex":0,"text":"x","tokens":${tokens}}\n`);
      expect(() => loadRepliesGenerator(file)).toThrow(
        `${file}:1: field "tokens" must be a non-negative finite number (got ${shown})`,
      );
    }
  });
  it("counts an ssb-rollout record's tokenIds when it has no tokens field; words only when it has neither", async () => {
    const file = join(root, "rollout-records.jsonl");
    const lines = [
      { problemId: "p1", sampleIndex: 0, text: "one two", tokenIds: [5, 6, 7, 8, 9], finishReason: "length" },
      { problemId: "p1", sampleIndex: 1, text: "one two", tokenIds: [5, 6, 7], tokens: 4 },
      { problemId: "p1", sampleIndex: 2, text: "one two three" },
    ];
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const gen = loadRepliesGenerator(file);
    const got: [number, number][] = [];
    for await (const s of gen.generate({
      benchmark: "b",
      prompts: [{ problemId: "p1", messages: [], sampleIndices: [0, 1, 2] }],
      n: 3,
      sampling: { temperature: 0, maxNewTokens: 16 },
      seed: 0,
    }))
      got.push([s.sampleIndex, s.tokens]);
    expect(got.sort((a, b) => a[0] - b[0])).toEqual([
      [0, 5],
      [1, 4],
      [2, 3],
    ]);
  });
});
