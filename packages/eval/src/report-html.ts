/**
 * One self-contained HTML page: inline CSS, inline SVG, no script, no external resource — it opens from a file,
 * offline, forever. Summary tables are the Markdown tables' content as HTML.
 */
import type { RunComparison } from "./compare.js";
import { comparisonTable } from "./comparison-table.js";
import { distinctRunNames } from "./distinct-run-names.js";
import { formatPercent } from "./format-percent.js";
import { formatInterval } from "./report-markdown.js";
import { comparisonNotes, decodingText, levelText, summaryNotes } from "./report-notes.js";
import type { BenchmarkSummary, GroupSummary, RunSummary } from "./summarize.js";
import { escapeXml, histogramChart, type IntervalRow, intervalChart, winLossChart } from "./svg-plots.js";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f4f4f4}.note{color:#555;font-size:13px}
svg{display:block;margin:8px 0 18px;max-width:100%;height:auto}
svg .title{font-weight:600;font-size:13px}svg .label{font-size:12px}svg .tick{font-size:11px;fill:#444}
svg .bar{font-size:11px;fill:#fff}svg .grid{stroke:#e4e4e4;stroke-width:1}svg .zero{stroke:#888;stroke-width:1}
`;

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`).join("");
  return `<table>${head}${body}</table>`;
}

function notesHtml(notes: readonly string[]): string {
  return notes.map((n) => `<p class="note">${escapeXml(n)}</p>`).join("");
}

function groupRows(
  runs: readonly RunSummary[],
  benchmark: string,
  pick: (b: BenchmarkSummary) => GroupSummary[] | undefined,
): IntervalRow[] {
  const labels: string[] = [];
  for (const run of runs) {
    const b = run.benchmarks.find((x) => x.benchmark === benchmark);
    for (const g of (b && pick(b)) ?? []) if (!labels.includes(g.group)) labels.push(g.group);
  }
  return labels.map((label) => ({
    label,
    points: runs.flatMap((run) => {
      const b = run.benchmarks.find((x) => x.benchmark === benchmark);
      const g = b ? pick(b)?.find((x) => x.group === label) : undefined;
      return g ? [{ series: run.run.name, ...g.pass1 }] : [];
    }),
  }));
}

export interface HtmlReportInput {
  title?: string;
  runs: readonly RunSummary[];
  comparison?: RunComparison;
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const runs = distinctRunNames(input.runs);
  const seriesNames = runs.map((r) => r.run.name);
  const benchmarks: string[] = [];
  for (const run of runs)
    for (const b of run.benchmarks) if (!benchmarks.includes(b.benchmark)) benchmarks.push(b.benchmark);
  const sections: string[] = [];

  sections.push("<h2>Accuracy</h2>");
  sections.push(
    `<p class="note">pass@1 = mean over samples; dots are estimates, whiskers ${levelText(runs[0]?.bootstrap.level ?? 0.95)}% percentile-bootstrap confidence intervals over problems (${runs[0]?.bootstrap.resamples ?? 2000} resamples, seed ${runs[0]?.bootstrap.seed ?? 0}); n = samples per problem.</p>`,
  );
  const accRows: IntervalRow[] = benchmarks.map((benchmark) => ({
    label: benchmark,
    points: runs.flatMap((run) => {
      const b = run.benchmarks.find((x) => x.benchmark === benchmark);
      return b ? [{ series: run.run.name, ...b.pass1 }] : [];
    }),
  }));
  sections.push(intervalChart(accRows, { title: "pass@1 by benchmark", series: seriesNames }));

  const header = [
    "run",
    "benchmark",
    "problems",
    "n",
    "pass@1",
    "pass@n",
    "maj@n",
    "no answer %",
    "truncated %",
    "mean tokens",
  ];
  const rows = runs.flatMap((run) =>
    run.benchmarks.map((b) => {
      const n = String(b.samplesPerProblem);
      return [
        run.run.name,
        b.benchmark,
        String(b.problems),
        n,
        formatInterval(b.pass1),
        formatInterval(b.passAtK[n]),
        formatInterval(b.majAtK[n]),
        formatPercent(b.noAnswerRate),
        formatPercent(b.truncationRate),
        Number.isFinite(b.length.mean) ? b.length.mean.toFixed(1) : "n/a",
      ];
    }),
  );
  sections.push(htmlTable(header, rows));
  const notes = summaryNotes(runs);
  if (notes.length > 0) sections.push(notesHtml(notes));

  for (const benchmark of benchmarks) {
    for (const [what, pick] of [
      ["subject", (b: BenchmarkSummary) => b.bySubject],
      ["level", (b: BenchmarkSummary) => b.byLevel],
    ] as const) {
      const groups = groupRows(runs, benchmark, pick);
      if (groups.length === 0) continue;
      sections.push(`<h3>${escapeXml(benchmark)} by ${what}</h3>`);
      sections.push(intervalChart(groups, { title: `${benchmark}: pass@1 by ${what}`, series: seriesNames }));
    }
  }

  sections.push("<h2>Response length</h2>");
  for (const benchmark of benchmarks) {
    const series = runs.flatMap((run) => {
      const b = run.benchmarks.find((x) => x.benchmark === benchmark);
      return b
        ? [{ name: run.run.name, edges: b.length.histogram.edges, counts: b.length.histogram.counts }]
        : [];
    });
    const trunc = runs
      .map((run) => {
        const b = run.benchmarks.find((x) => x.benchmark === benchmark);
        return b
          ? `${run.run.name}: ${formatPercent(b.truncationRate)}% truncated, median ${b.length.median.toFixed(0)} tokens`
          : "";
      })
      .filter((s) => s !== "")
      .join("; ");
    sections.push(
      histogramChart(series, { title: `${benchmark}: generated tokens per sample`, xLabel: "tokens" }),
    );
    sections.push(`<p class="note">${escapeXml(trunc)}</p>`);
  }

  const cmp = input.comparison;
  if (cmp !== undefined) {
    // The runs by name: "B − A" alone left the reader to work out which run was B.
    const diffName = `${cmp.b} − ${cmp.a}`;
    sections.push(`<h2>${escapeXml(cmp.b)} vs ${escapeXml(cmp.a)}</h2>`);
    sections.push(
      winLossChart(
        cmp.benchmarks.map((b) => ({ label: b.benchmark, wins: b.wins, ties: b.ties, losses: b.losses })),
        { title: "per-problem wins and losses", a: cmp.a, b: cmp.b },
      ),
    );
    sections.push(
      intervalChart(
        cmp.benchmarks.map((b) => ({ label: b.benchmark, points: [{ series: diffName, ...b.difference }] })),
        {
          title: `difference in pass@1, ${diffName} (points, paired ${levelText(cmp.bootstrap.level)}% CI)`,
          series: [diffName],
          domain: diffDomain(cmp),
          unit: "",
        },
      ),
    );
    const comparison = comparisonTable(cmp);
    sections.push(htmlTable(comparison.header, comparison.rows));
    const cmpNotes = comparisonNotes(cmp);
    if (cmpNotes.length > 0) sections.push(notesHtml(cmpNotes));
  }

  const settings = runs.map((r) => [
    r.run.name,
    r.run.modelId ?? "",
    r.run.n === undefined ? "" : String(r.run.n),
    decodingText(r.run),
    r.run.seed === undefined ? "" : String(r.run.seed),
    r.run.executionProviders === undefined ? "" : r.run.executionProviders.join(", then "),
  ]);
  sections.push("<h2>Runs</h2>");
  sections.push(htmlTable(["run", "model", "n", "decoding", "seed", "generated on"], settings));

  const title = input.title ?? "ssb-eval report";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeXml(title)}</h1>
${sections.join("\n")}
</body></html>
`;
}

/** A symmetric axis around zero wide enough for every interval, in steps of 10 points. */
function diffDomain(cmp: RunComparison): [number, number] {
  let m = 0.1;
  for (const b of cmp.benchmarks) m = Math.max(m, Math.abs(b.difference.lower), Math.abs(b.difference.upper));
  const r = Math.min(1, Math.ceil(m * 10) / 10);
  return [-r, r];
}
