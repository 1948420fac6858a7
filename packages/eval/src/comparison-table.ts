/** The comparison table of two runs, as report.md and report.html both print it. */
import type { RunComparison } from "./compare.js";
import { formatInterval } from "./report-markdown.js";
import { formatPValue } from "./report-notes.js";

/** Its header and one row per benchmark (text cells; each report escapes and aligns them its own way). */
export function comparisonTable(cmp: RunComparison): { header: string[]; rows: string[][] } {
  const header = [
    "benchmark",
    "problems",
    cmp.a,
    cmp.b,
    "difference",
    // By name: "B better" left the reader to work out which run was B.
    `${cmp.b} better`,
    "same",
    `${cmp.a} better`,
    "McNemar p",
  ];
  const rows = cmp.benchmarks.map((b) => [
    b.benchmark,
    String(b.problems),
    formatInterval(b.a),
    formatInterval(b.b),
    formatInterval(b.difference),
    String(b.wins),
    String(b.ties),
    String(b.losses),
    b.mcnemar === null ? "–" : `${formatPValue(b.mcnemar.pValue)} (${b.mcnemar.method})`,
  ]);
  return { header, rows };
}
