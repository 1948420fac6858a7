import { describe, expect, it } from "vitest";
import { compareRuns } from "./compare.js";
import { renderHtmlReport } from "./report-html.js";
import { summaryMarkdown } from "./report-markdown.js";
import { summarizeRecords } from "./summarize.js";
import type { SampleRecord } from "./types.js";

function records(
  benchmark: string,
  correctness: (p: number, s: number) => boolean,
  n: number,
): SampleRecord[] {
  const out: SampleRecord[] = [];
  for (let p = 0; p < 10; p++) {
    for (let s = 0; s < n; s++) {
      const correct = correctness(p, s);
      out.push({
        benchmark,
        problemId: `p${p}`,
        sampleIndex: s,
        gold: String(p),
        subject: p < 5 ? "Algebra" : "Geometry",
        level: (p % 5) + 1,
        text: "…",
        extracted: correct ? String(p) : s === 0 ? null : "x",
        correct,
        verdict: correct ? "correct" : s === 0 ? "no-answer" : "wrong",
        reason: "",
        tokens: 10 * (p + 1),
        finishReason: p === 9 ? "length" : "stop",
      });
    }
  }
  return out;
}

describe("summary, Markdown and HTML", () => {
  const recs = records("math500", (p, s) => p < 6 && s !== 1, 3);
  const summary = summarizeRecords(recs, { name: "run <A>" }, { bootstrap: { resamples: 200 } });
  const b = summary.benchmarks[0];

  it("summarises pass@1, pass@k, maj@k, groups, length and truncation", () => {
    expect(b?.pass1.estimate).toBeCloseTo((6 * 2) / 30, 12);
    expect(b?.passAtK["3"]?.estimate).toBeCloseTo(0.6, 12);
    // maj@3: the 6 solvable problems vote 2 right vs 1 wrong → correct; the rest wrong.
    expect(b?.majAtK["3"]?.estimate).toBeCloseTo(0.6, 12);
    expect(b?.truncationRate).toBeCloseTo(0.1, 12);
    expect(b?.noAnswerRate).toBeCloseTo(4 / 30, 12);
    expect(b?.bySubject?.map((g) => [g.group, g.problems, g.pass1.estimate])).toEqual([
      ["Algebra", 5, 2 / 3],
      ["Geometry", 5, 2 / 15],
    ]);
    expect(b?.length.max).toBe(100);
    expect(b?.length.histogram.counts.reduce((s, c) => s + c, 0)).toBe(30);
  });

  it("renders Markdown with CIs", () => {
    const md = summaryMarkdown([summary]);
    expect(md).toContain("| run <A> | math500 | 10 | 3 | 40.0 [");
    expect(md).toContain("### math500 by subject (run <A>)");
  });

  it("renders a self-contained HTML page: inline SVG, escaped text, no scripts, no external resources", () => {
    const other = summarizeRecords(
      records("math500", (p) => p < 8, 3),
      { name: "B" },
      { bootstrap: { resamples: 200 } },
    );
    const cmp = compareRuns(
      recs,
      records("math500", (p) => p < 8, 3),
      { a: "run <A>", b: "B" },
    );
    const html = renderHtmlReport({ runs: [summary, other], comparison: cmp });
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain("run &lt;A&gt;");
    expect(html).not.toContain("run <A>");
  });
});
