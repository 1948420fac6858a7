import { grade } from "@ssb/verifier";
import { describe, expect, it } from "vitest";
import { summarizeBenchmark, summarizeRecords } from "./summarize.js";
import type { SampleRecord } from "./types.js";

/** A record graded by the verifier, as runEval writes it. */
function graded(problemId: string, sampleIndex: number, text: string, gold: string): SampleRecord {
  const g = grade(text, gold);
  return {
    benchmark: "b",
    problemId,
    sampleIndex,
    gold,
    text,
    extracted: g.extracted ?? null,
    correct: g.correct,
    verdict: g.verdict,
    reason: g.reason,
    tokens: 10,
    finishReason: "stop",
  };
}

function plain(
  problemId: string,
  sampleIndex: number,
  extracted: string | null,
  correct: boolean,
): SampleRecord {
  return {
    benchmark: "b",
    problemId,
    sampleIndex,
    gold: "5",
    text: "",
    extracted,
    correct,
    verdict: correct ? "correct" : extracted === null ? "no-answer" : "wrong",
    reason: "",
    tokens: sampleIndex + 1,
    finishReason: "stop",
  };
}

const info = { name: "t" };
const fast = { bootstrap: { resamples: 20 } };

describe("maj@k uses the records' own verdicts", () => {
  it("hedged samples that extract the gold stay wrong: maj@1 = pass@1 = 0 and maj@3 = 0", () => {
    const records = [
      graded("p", 0, "\\boxed{3} or \\boxed{5}", "5"),
      graded("p", 1, "\\boxed{3} or \\boxed{5}", "5"),
      graded("p", 2, "\\boxed{4}", "5"),
    ];
    // The audit's case: the grader keeps "5" as the extracted answer but calls it wrong.
    expect(records[0]?.extracted).toBe("5");
    expect(records[0]?.correct).toBe(false);
    const s = summarizeRecords(records, info, fast).benchmarks[0];
    expect(s?.pass1.estimate).toBe(0);
    expect(s?.majAtK["1"]?.estimate).toBe(0);
    expect(s?.majAtK["3"]?.estimate).toBe(0);
  });

  it("a class mixing correct and wrong records scores its share of correct ones, so maj@1 = pass@1", () => {
    // Class "5": one clean (correct) and one hedged (wrong) sample; class "4": wrong.
    const records = [plain("p", 0, "5", true), plain("p", 1, "5", false), plain("p", 2, "4", false)];
    const s = summarizeRecords(records, info, fast).benchmarks[0];
    expect(s?.pass1.estimate).toBeCloseTo(1 / 3, 12);
    expect(s?.majAtK["1"]?.estimate).toBeCloseTo(1 / 3, 12);
    // k = 3: class "5" wins (2 votes) and scores 1/2.
    expect(s?.majAtK["3"]?.estimate).toBeCloseTo(0.5, 12);
  });

  it("groups answers with the grading settings it is given", () => {
    // 5.04 and 5 are one class only with a loose tolerance; with the default they split into two classes.
    const records = [plain("p", 0, "5.04", false), plain("p", 1, "5", true), plain("p", 2, "7", false)];
    const loose = summarizeRecords(records, info, { ...fast, equivalence: { relativeTolerance: 0.01 } });
    const strict = summarizeRecords(records, info, fast);
    // Loose: class {5.04, 5} wins with 2 votes, scoring 1/2. Strict: three-way tie, (0 + 1 + 0) / 3.
    expect(loose.benchmarks[0]?.majAtK["3"]?.estimate).toBeCloseTo(0.5, 12);
    expect(strict.benchmarks[0]?.majAtK["3"]?.estimate).toBeCloseTo(1 / 3, 12);
  });
});

describe("summarize options are validated", () => {
  const records = [plain("p", 0, "5", true), plain("p", 1, "4", false), plain("p", 2, "5", true)];

  it("refuses a k larger than the samples per problem instead of dropping it", () => {
    expect(() => summarizeRecords(records, info, { ...fast, ks: [1, 8] })).toThrow(
      /options\.ks\[1\] = 8 exceeds the 3 samples per problem of benchmark "b"/,
    );
  });

  it("says when a k is a string", () => {
    const ks = ["2"] as unknown as number[];
    expect(() => summarizeRecords(records, info, { ...fast, ks })).toThrow(
      /options\.ks\[0\] must be a positive integer number \(got string "2"\)/,
    );
    expect(() => summarizeRecords(records, info, { ...fast, ks: [1.5] })).toThrow(/got 1\.5/);
  });

  it("checks the bootstrap option", () => {
    expect(() => summarizeRecords(records, info, { bootstrap: { level: 95 } })).toThrow(
      /summarizeRecords: options\.bootstrap: level must be a fraction strictly between 0 and 1.*for 95% pass 0\.95/,
    );
    expect(() => summarizeRecords(records, info, { bootstrap: { resamples: 0 } })).toThrow(
      /resamples must be a positive integer \(got 0\)/,
    );
  });
});

describe("maj@1 and pass@1", () => {
  it("are one number with one interval (maj@1 had its own resampling: [0.0, 66.7] beside [0.0, 84.2])", () => {
    const problems = [0, 1, 2].map((p) => [plain(`p${p}`, 0, p === 0 ? "5" : "4", p === 0)]);
    const s = summarizeBenchmark("b", problems, { bootstrap: { resamples: 100 } });
    expect(s.pass1.estimate).toBeCloseTo(1 / 3, 12);
    expect(s.majAtK["1"]).toEqual(s.pass1);
    // With 4 samples (classes, abstentions) too.
    const four = [0, 1, 2, 3, 4].map((p) =>
      [0, 1, 2, 3].map((i) =>
        plain(`p${p}`, i, i === 3 ? null : (i + p) % 2 === 0 ? "5" : "4", (i + p) % 2 === 0 && i !== 3),
      ),
    );
    const s4 = summarizeBenchmark("b", four, { bootstrap: { resamples: 100 } });
    expect(s4.majAtK["1"]).toEqual(s4.pass1);
    expect(s4.majAtK["4"]).not.toEqual(s4.pass1);
  });
});

describe("large inputs", () => {
  it("summarises 500,000 samples without spreading them into Math.max", () => {
    const problems: SampleRecord[][] = [];
    for (let p = 0; p < 125_000; p++) {
      const samples: SampleRecord[] = [];
      for (let i = 0; i < 4; i++) samples.push(plain(`p${p}`, i, i % 2 === 0 ? "5" : "4", i % 2 === 0));
      problems.push(samples);
    }
    const s = summarizeBenchmark("b", problems, { bootstrap: { resamples: 2 }, ks: [1] });
    expect(s.samples).toBe(500_000);
    expect(s.length.max).toBe(4);
    expect(s.majAtK["1"]?.estimate).toBeCloseTo(0.5, 12);
  }, 60_000);
});

describe("length histogram", () => {
  it("spans the longest reply when it is past maxTokens, instead of counting it in the last bin", () => {
    const problems = [[plain("p1", 0, "5", true), { ...plain("p2", 0, "4", false), tokens: 900 }]];
    const s = summarizeBenchmark("b", problems, { bootstrap: { resamples: 2 }, ks: [1], maxTokens: 100 });
    const { edges, counts } = s.length.histogram;
    expect(edges.at(-1)).toBeGreaterThanOrEqual(900);
    // 900 tokens sit in the bin whose edges hold 900 (the last bin holds its top edge), not in a 95-100 bin.
    const bin = counts.findIndex((c, i) => c > 0 && i > 0);
    expect([edges[bin], edges[bin + 1]]).toEqual([850, 900]);
    // Within the budget the budget still sets the range (a model run's plot keeps its scale).
    const within = summarizeBenchmark("b", [[plain("p1", 0, "5", true)]], {
      bootstrap: { resamples: 2 },
      ks: [1],
      maxTokens: 100,
    });
    expect(within.length.histogram.edges.at(-1)).toBe(100);
  });
});
