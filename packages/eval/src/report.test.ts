import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRuns } from "./compare.js";
import { renderHtmlReport } from "./report-html.js";
import { comparisonMarkdown, markdownText, summaryMarkdown } from "./report-markdown.js";
import { summarizeRecords } from "./summarize.js";
import type { SampleRecord } from "./types.js";
import { writeReports } from "./write-reports.js";

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
    expect(md).toContain("| run \\<A> | math500 | 10 | 3 | 40.0 [");
    expect(md).toContain("### math500 by subject (run \\<A>)");
    // Level 1's two problems (p0, p5) both score 2/3: the row says "(no CI)", and a note explains it.
    expect(md).toContain("| 1 | 2 | 66.7 (no CI) |");
    expect(md).toContain('"no CI": every problem scored the same');
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
    expect(html).toContain("difference in pass@1, B − run &lt;A&gt; (points, paired 95% CI)");
    expect(html).not.toContain("run <A>");
  });
});

describe("Markdown shows names literally", () => {
  it("escapes | and < in run, benchmark and subject names, so rows keep their cells and no HTML gets through", () => {
    const recs = records("math500", (p, s) => p < 6 && s !== 1, 3).map((r) => ({
      ...r,
      benchmark: "b|<script>",
      subject: r.subject === "Algebra" ? "Alg|ebra" : "</svg>\nGeo",
    }));
    const summary = summarizeRecords(recs, { name: "run|x" }, { bootstrap: { resamples: 50 } });
    const md = summaryMarkdown([summary]);
    // Before: "| run|x | b|<script> | ..." split into two cells more than the header.
    const rows = md.split("\n").filter((l) => l.startsWith("|"));
    const cells = (line: string) => line.replace(/\\\|/g, "").split("|").length;
    for (const row of rows.slice(0, 3)) expect(cells(row)).toBe(cells(rows[0] ?? ""));
    expect(md).toContain("| run\\|x | b\\|\\<script> | 10 | 3 |");
    expect(md).toContain("| Alg\\|ebra | 5 |");
    expect(md).toContain("| \\</svg> Geo | 5 |");
    expect(md).toContain("### b\\|\\<script> by subject (run\\|x)");
    expect(md).not.toMatch(/(^|[^\\])<(script|\/svg)/);
    const cmp = compareRuns(recs, recs, { a: "a|<b>", b: "B" }, { bootstrap: { resamples: 50 } });
    const cmpMd = comparisonMarkdown(cmp);
    expect(cmpMd).toContain("## B vs a\\|\\<b>");
    expect(cmpMd).toContain("| benchmark | problems | a\\|\\<b> | B |");
    expect(cmpMd).not.toMatch(/(^|[^\\])<(script|b>)/);
    // The report file's title too.
    const dir = mkdtempSync(join(tmpdir(), "ssb-eval-md-"));
    try {
      writeReports(dir, [summary], cmp);
      const file = readFileSync(join(dir, "comparison.md"), "utf8");
      expect(file.split("\n")[0]).toBe("# ssb-eval: B vs a\\|\\<b>");
      writeReports(dir, [summary]);
      expect(readFileSync(join(dir, "report.md"), "utf8").split("\n")[0]).toBe("# ssb-eval: run\\|x");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("markdownText", () => {
  it("escapes emphasis, code, strikethrough, links and entities, and leaves what cannot render alone", () => {
    // Before: `*base*` rendered as emphasis, `[a](b)` as a link, `&amp;` as `&`, `~~x~~` struck through.
    expect(markdownText("*base* `v2`")).toBe("\\*base\\* \\`v2\\`");
    expect(markdownText("runs/[a](b)")).toBe("runs/\\[a](b)");
    expect(markdownText("a &amp; b & c")).toBe("a \\&amp; b & c");
    expect(markdownText("~~old~~")).toBe("\\~\\~old\\~\\~");
    expect(markdownText("_base_ and __x__")).toBe("\\_base\\_ and \\_\\_x\\_\\_");
    // Unchanged: an underscore inside a word, a lone tilde, brackets that make no link, an escape-free backslash.
    for (const plain of ["max_new_tokens", "~/runs/base", "[38.1, 46.2]", "C:\\runs\\a", "< 1e-300"]) {
      expect(markdownText(plain)).toBe(plain);
    }
    // A backslash before punctuation would escape it: it is doubled so it shows.
    expect(markdownText("a\\*b")).toBe("a\\\\\\*b");
    expect(markdownText("x\\_y")).toBe("x\\\\\\_y");
  });
});

describe("runs called alike", () => {
  it("are numbered by position in the Markdown and HTML reports, and A / B in a comparison", () => {
    const recs = records("math500", (p, s) => p < 6 && s !== 1, 3);
    const one = summarizeRecords(recs, { name: "base" }, { bootstrap: { resamples: 50 } });
    const other = summarizeRecords(recs.slice(3), { name: "base" }, { bootstrap: { resamples: 50 } });
    // Before: two rows "| base | math500 |" and one legend entry, both runs on one spot in the charts.
    const md = summaryMarkdown([one, other]);
    expect(md).toContain("| base (1) | math500 |");
    expect(md).toContain("| base (2) | math500 |");
    const html = renderHtmlReport({ runs: [one, other] });
    expect(html).toContain("base (1)");
    expect(html).toContain("base (2)");
    // The caller's summaries keep their names.
    expect([one.run.name, other.run.name]).toEqual(["base", "base"]);
    const cmp = compareRuns(recs, recs, { a: "base", b: "base" }, { bootstrap: { resamples: 50 } });
    expect([cmp.a, cmp.b]).toEqual(["base (A)", "base (B)"]);
    expect(comparisonMarkdown(cmp)).toContain("## base (B) vs base (A)");
  });
});

/** `count` problems with one sample each; the first `right` correct. */
function singleSample(benchmark: string, count: number, right: number): SampleRecord[] {
  return Array.from({ length: count }, (_, p) => ({
    benchmark,
    problemId: `p${p}`,
    sampleIndex: 0,
    gold: "1",
    text: "…",
    extracted: p < right ? "1" : "2",
    correct: p < right,
    verdict: p < right ? ("correct" as const) : ("wrong" as const),
    reason: "",
    tokens: 5,
    finishReason: "stop" as const,
  }));
}

describe("reports say what each number is and how far to trust it", () => {
  const base = summarizeRecords(
    singleSample("aime24", 30, 0),
    { name: "base", n: 1, sampling: { temperature: 0, maxNewTokens: 4096 }, seed: 0 },
    { bootstrap: { resamples: 200 } },
  );
  const tuned = summarizeRecords(
    singleSample("aime24", 30, 4),
    { name: "tuned", n: 4, sampling: { temperature: 0.7, topP: 0.8, maxNewTokens: 4096 }, seed: 1 },
    { bootstrap: { resamples: 200 } },
  );

  it("prints an interval that collapsed to a point as 'no CI', with the exact bound for 0 of N", () => {
    const md = summaryMarkdown([base]);
    // Before: "| 0.0 [0.0, 0.0] |", which reads as certainty.
    expect(md).not.toContain("[0.0, 0.0]");
    expect(md).toContain("| base | aime24 | 30 | 1 | 0.0 (no CI) |");
    // 1 − 0.025^(1/30) = 0.1157 (scipy binomtest(0, 30).proportion_ci: 0.11570).
    expect(md).toContain("the exact 95% interval for pass@1 is [0.0, 11.6], Clopper–Pearson");
    const html = renderHtmlReport({ runs: [base] });
    expect(html).not.toContain("[0.0, 0.0]");
    expect(html).toContain("0.0 (no CI)");
    expect(html).toContain("[0.0, 11.6], Clopper–Pearson");
  });

  it("says when intervals come from too few resamples, where a 'no CI' may come from that alone", () => {
    const recs = singleSample("math500", 40, 20);
    const few = summarizeRecords(recs, { name: "quick" }, { bootstrap: { resamples: 1 } });
    expect(summaryMarkdown([few])).toContain(
      'quick: 1 bootstrap resample are too few for its intervals to mean much (a "no CI" may come from that alone)',
    );
    expect(summaryMarkdown([base])).not.toContain("too few for its intervals");
    const cmp = compareRuns(recs, recs, { a: "A", b: "B" }, { bootstrap: { resamples: 20 } });
    expect(comparisonMarkdown(cmp)).toContain("B − A: 20 bootstrap resamples are too few");
  });

  it("warns that a 30-problem benchmark has wide, too narrow intervals", () => {
    const md = summaryMarkdown([tuned]);
    expect(md).toContain("aime24 has only 30 problems: one problem moves pass@1 by 3.3 points");
    expect(renderHtmlReport({ runs: [tuned] })).toContain("aime24 has only 30 problems");
    const big = summarizeRecords(
      singleSample("math500", 500, 200),
      { name: "m" },
      { bootstrap: { resamples: 50 } },
    );
    expect(summaryMarkdown([big])).not.toContain("has only");
  });

  it("says greedy or sampled, n, seed and the interval method", () => {
    const md = summaryMarkdown([base, tuned]);
    expect(md).toContain("95% percentile-bootstrap CIs over problems (200 resamples, seed 0)");
    expect(md).toContain(
      "- base: greedy (temperature 0, max new tokens 4096), n = 1 sample per problem, seed 0",
    );
    expect(md).toContain(
      "- tuned: sampled (temperature 0.7, top-p 0.8, max new tokens 4096), n = 4 samples per problem, seed 1",
    );
    expect(renderHtmlReport({ runs: [base] })).toContain(
      "<td>greedy (temperature 0, max new tokens 4096)</td>",
    );
  });

  it("does not call replies from a file greedy, and says greedy samples with n > 1 are identical", () => {
    const replies = summarizeRecords(
      singleSample("aime24", 30, 4),
      { name: "r", n: 1, sampling: { temperature: 0, maxNewTokens: 2048 }, seed: 0, replies: true },
      { bootstrap: { resamples: 50 } },
    );
    const md = summaryMarkdown([replies]);
    expect(md).toContain(
      "- r: replies read from a file (how they were decoded is not recorded), n = 1 sample",
    );
    expect(md).not.toContain("greedy");
    const greedy4 = summarizeRecords(
      singleSample("aime24", 30, 4),
      { name: "g4", n: 4, sampling: { temperature: 0, maxNewTokens: 2048 }, seed: 0 },
      { bootstrap: { resamples: 50 } },
    );
    expect(summaryMarkdown([greedy4])).toContain(
      "g4: greedy decoding with n = 4: the samples are identical, so pass@k and maj@k equal pass@1",
    );
  });

  it("prints a paired difference with no spread as 'no CI'", () => {
    const same = singleSample("aime24", 30, 4);
    const cmp = compareRuns(same, same, { a: "A", b: "B" }, { bootstrap: { resamples: 200 } });
    const md = comparisonMarkdown(cmp);
    expect(md).toContain("| 0.0 (no CI) |");
    expect(md).toContain('"no CI" (aime24): every paired problem has the same difference');
    expect(md).toContain("McNemar (exact binomial, two-sided)");
  });
});
