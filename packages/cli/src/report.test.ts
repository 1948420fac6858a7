import { summarize } from "@ssb/curation";
import { compareRuns, summarizeRecords } from "@ssb/eval";
import { describe, expect, it } from "vitest";
import { renderReportHtml, renderReportMarkdown } from "./report.js";
import { sampleRecords } from "./test-support.js";

const records = (count: number, right: number) => sampleRecords(count, right, "aime24");

describe("the pipeline report", () => {
  it("carries @ssb/eval's notes: a collapsed interval is explained, a 30-problem benchmark is warned about", () => {
    const baseRecords = records(30, 0);
    const studentRecords = records(30, 3);
    const input = {
      title: "t",
      about: [],
      base: summarizeRecords(baseRecords, { name: "base" }, { bootstrap: { resamples: 200 } }),
      student: summarizeRecords(studentRecords, { name: "student" }, { bootstrap: { resamples: 200 } }),
      comparison: compareRuns(baseRecords, studentRecords, { a: "base", b: "student" }),
      curation: summarize({ mode: "teacher", prompts: [], drops: [], pairs: [] }),
      metrics: [],
      distillNote: "",
      stages: [],
    };
    for (const report of [renderReportMarkdown(input), renderReportHtml(input)]) {
      expect(report).toContain("0.0 (no CI)");
      // Before, the report printed "(no CI)" with no word of why (eval's own reports had the note).
      expect(report).toContain("the exact 95% interval for pass@1 is [0.0, 11.6], Clopper–Pearson");
      expect(report).toContain("aime24 has only 30 problems");
    }
  });

  it("draws the response-length histogram as bars with whole-number axes, both models named", () => {
    // Token counts as the tiny model's eval replies had them (46..99): the line plot through the bin midpoints
    // it drew before labelled the token axis "5.00, 42.50" and the answers axis "0.75, 1.50, 2.25".
    const tokens = [46, 46, 47, 50, 61, 63, 83, 84, 85, 98, 98, 99];
    const withTokens = records(12, 7).map((r, i) => ({ ...r, tokens: tokens[i] ?? 0 }));
    const base = summarizeRecords(withTokens, { name: "base" }, { bootstrap: { resamples: 50 } });
    const html = renderReportHtml({
      title: "t",
      about: [],
      base,
      student: summarizeRecords(withTokens, { name: "student" }, { bootstrap: { resamples: 50 } }),
      comparison: compareRuns(withTokens, withTokens, { a: "base", b: "student" }),
      curation: summarize({ mode: "teacher", prompts: [], drops: [], pairs: [] }),
      metrics: [],
      distillNote: "",
      stages: [],
    });
    const svg = /<svg[^>]*>(?:(?!<\/svg>).)*response length histogram.*?<\/svg>/s.exec(html)?.[0] ?? "";
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? "");
    expect(labels).toEqual(expect.arrayContaining(["tokens", "answers", "base", "student"]));
    const numbers = labels.filter((l) => /^[0-9.]+$/.test(l));
    expect(numbers.length).toBeGreaterThan(4);
    expect(numbers.filter((l) => !/^[0-9]+$/.test(l))).toEqual([]); // every tick a whole number
    const bins = base.benchmarks[0]?.length.histogram.counts.length ?? 0;
    expect((svg.match(/<rect [^>]*><title>/g) ?? []).length).toBe(2 * bins); // a bar per bin and model
  });

  it('says "1 optimizer step" for a one-step run, not "1 optimizer steps"', () => {
    const rs = records(12, 7);
    const run = summarizeRecords(rs, { name: "base" }, { bootstrap: { resamples: 50 } });
    const step = { step: 1, epoch: 1, loss: 1.27, kl: 1.27, ce: null, gradNorm: 0.9, lr: 0.001 };
    const markdown = renderReportMarkdown({
      title: "t",
      about: [],
      base: run,
      student: run,
      comparison: compareRuns(rs, rs, { a: "base", b: "student" }),
      curation: summarize({ mode: "teacher", prompts: [], drops: [], pairs: [] }),
      metrics: [{ ...step, tokensPerSec: 300, rows: 245, elapsedSec: 2 }],
      distillNote: "",
      stages: [],
    });
    expect(markdown).toContain("1 optimizer step; loss 1.2700 at step 1");
  });
});
