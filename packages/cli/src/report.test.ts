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
});
