/** Write summary.json, report.md and report.html for one or more runs (and optionally their comparison). */
import { join } from "node:path";
import { writeFileAtomic } from "@ssb/durable-files";
import type { RunComparison } from "./compare.js";
import { renderHtmlReport } from "./report-html.js";
import { comparisonMarkdown, markdownText, summaryMarkdown } from "./report-markdown.js";
import type { RunSummary } from "./summarize.js";

export interface WrittenReports {
  summary: string;
  markdown: string;
  html: string;
}

export function writeReports(
  outDir: string,
  runs: readonly RunSummary[],
  comparison?: RunComparison,
): WrittenReports {
  const files = {
    summary: join(outDir, comparison ? "comparison.json" : "summary.json"),
    markdown: join(outDir, comparison ? "comparison.md" : "report.md"),
    html: join(outDir, comparison ? "comparison.html" : "report.html"),
  };
  const json = comparison ? { runs, comparison } : runs.length === 1 ? runs[0] : { runs };
  writeFileAtomic(files.summary, `${JSON.stringify(json, null, 2)}\n`);
  const title = comparison
    ? `ssb-eval: ${comparison.b} vs ${comparison.a}`
    : `ssb-eval: ${runs.map((r) => r.run.name).join(", ")}`;
  // The title holds run names: shown literally, as in the tables below it.
  let md = `# ${markdownText(title)}\n\n${summaryMarkdown(runs)}`;
  if (comparison) md += `\n${comparisonMarkdown(comparison)}`;
  writeFileAtomic(files.markdown, md);
  writeFileAtomic(files.html, renderHtmlReport({ title, runs, ...(comparison ? { comparison } : {}) }));
  return files;
}
