import { describe, expect, it } from "vitest";
import { compareRuns } from "./compare.js";
import { renderHtmlReport } from "./report-html.js";
import { comparisonMarkdown } from "./report-markdown.js";
import { summarizeRecords } from "./summarize.js";
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

describe("each run's pass@1 in a comparison", () => {
  it("has the interval the run's own summary gives it when both runs cover the same problems", () => {
    // 200 problems, 4 samples: before, A showed [31.9, 35.0] here and [31.8, 35.1] in its own report.
    const run = (right: (p: number, s: number) => boolean): SampleRecord[] =>
      Array.from({ length: 200 }, (_, p) =>
        [0, 1, 2, 3].map((s) => ({
          ...record(`p${p}`, "1", right(p, s)),
          benchmark: "math500",
          sampleIndex: s,
        })),
      ).flat();
    const a = run((p, s) => (p * 7 + s) % 3 === 0);
    const b = run((p, s) => (p * p + s * 3) % 5 < 2);
    const [cmp] = compareRuns(a, b, { a: "A", b: "B" }).benchmarks;
    expect(cmp?.a).toEqual(summarizeRecords(a, { name: "A" }).benchmarks[0]?.pass1);
    expect(cmp?.b).toEqual(summarizeRecords(b, { name: "B" }).benchmarks[0]?.pass1);
  });
});

describe("the comparison report says what it left out", () => {
  it("names problems and benchmarks only one run has", () => {
    const a = [record("p1", "1", false), record("p2", "2", true), record("p3", "3", true)];
    const other = { ...record("q1", "1", true), benchmark: "aime24" };
    const b = [record("p1", "1", true), record("p2", "2", true), other];
    const cmp = compareRuns(a, b, { a: "base", b: "ssb" }, { bootstrap: { resamples: 100 } });
    expect(cmp.unpairedBenchmarks).toEqual({ onlyInA: [], onlyInB: ["aime24"] });
    const md = comparisonMarkdown(cmp);
    // Before: the table said "problems 2" and nothing of p3 or aime24.
    expect(md).toContain(
      "- b: compared on the 2 problems both runs answered; left out 1 only in base and 0 only in ssb.",
    );
    expect(md).toContain("- Not compared (only in ssb): aime24.");
    expect(md).toContain("| difference | ssb better | same | base better | McNemar p |");
    expect(renderHtmlReport({ runs: [], comparison: cmp })).toContain("Not compared (only in ssb): aime24.");
  });

  it("prints a p-value that underflowed as < 1e-300, and a 97.5% level as 97.5", () => {
    const a = Array.from({ length: 2000 }, (_, i) => record(`p${i}`, "1", false));
    const b = Array.from({ length: 2000 }, (_, i) => record(`p${i}`, "1", true));
    const cmp = compareRuns(a, b, { a: "A", b: "B" }, { bootstrap: { resamples: 20, level: 0.975 } });
    expect(cmp.benchmarks[0]?.mcnemar?.pValue).toBe(0); // 2 * 2^-2000
    const md = comparisonMarkdown(cmp);
    expect(md).toContain("| < 1e-300 (exact-binomial) |");
    expect(md).not.toContain("0.00 (exact-binomial)");
    expect(md).toContain("paired 97.5% percentile-bootstrap CI");
  });
});
