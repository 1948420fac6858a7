import { describe, expect, it } from "vitest";
import { compareRuns } from "./compare.js";
import type { SampleRecord } from "./types.js";

const record = (problemId: string, gold: string, correct: boolean): SampleRecord => ({
  benchmark: "b",
  problemId,
  sampleIndex: 0,
  gold,
  text: "",
  extracted: correct ? gold : "x",
  correct,
  verdict: correct ? "correct" : "wrong",
  reason: "",
  tokens: 1,
  finishReason: "stop",
});

describe("compareRuns", () => {
  it("pairs problems by id, counting those only one run has", () => {
    const a = [record("p1", "1", false), record("p2", "2", true), record("p3", "3", true)];
    const b = [record("p1", "1", true), record("p2", "2", true), record("p4", "4", true)];
    const [cmp] = compareRuns(a, b, { a: "A", b: "B" }).benchmarks;
    expect(cmp).toMatchObject({ problems: 2, onlyInA: 1, onlyInB: 1, wins: 1, losses: 0, ties: 1 });
  });

  it("refuses to pair runs that graded the same id against different gold answers", () => {
    const a = [record("p1", "1", true)];
    const b = [record("p1", "7", true)];
    expect(() => compareRuns(a, b, { a: "A", b: "B" })).toThrow(
      /b\/p1: the runs graded it against different gold answers \("1" vs "7"\)/,
    );
  });
});
