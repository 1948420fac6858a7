/**
 * The pipeline report: report.md and a self-contained report.html (inline CSS and SVG, nothing external) with
 * base vs student accuracy (95% bootstrap CIs, paired difference, McNemar), curation (kept / dropped by
 * reason), the distillation loss curve, response lengths and time per stage. Both are rendered from the same
 * rows, so they always agree.
 */
import type { CurationSummary } from "@ssb/curation";
import { lossCurveSvg, type StepMetrics } from "@ssb/distill";
import {
  comparisonNotes,
  formatInterval,
  formatPercent,
  formatPValue,
  type RunComparison,
  type RunSummary,
  summaryNotes,
} from "@ssb/eval";
import { counted } from "./counted.js";
import {
  barChartSvg,
  escapeXml,
  type HistogramSeries,
  histogramSvg,
  intervalChartSvg,
} from "./svg-charts.js";
import type { StageRecord } from "./work-dir.js";

export interface ReportInput {
  title: string;
  /** Lines of run information (model, seed, config, date). */
  about: string[];
  base: RunSummary;
  /** Null when nothing was trained: the student is the base model and was not evaluated. */
  student: RunSummary | null;
  comparison: RunComparison | null;
  curation: CurationSummary;
  /** Distillation metrics (empty when nothing was trained). */
  metrics: readonly StepMetrics[];
  distillNote: string;
  stages: readonly StageRecord[];
  /** The loss plot's path beside the report (distill/loss.svg), or null / absent when there is none. */
  lossPlot?: string | null;
}

interface Section {
  title: string;
  /** Markdown paragraphs / notes. */
  notes: string[];
  table?: { header: string[]; rows: string[][] };
  svg?: string[];
}

const pct = (v: number) => `${formatPercent(v)}%`;
const num = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

function accuracySection(input: ReportInput): Section {
  const cmp = input.comparison?.benchmarks[0];
  const b = input.base.benchmarks[0];
  const s = input.student?.benchmarks[0];
  const notes: string[] = [];
  const rows: string[][] = [];
  if (b) rows.push(["base", String(b.problems), String(b.samplesPerProblem), formatInterval(b.pass1)]);
  if (s)
    rows.push(["student (SSB)", String(s.problems), String(s.samplesPerProblem), formatInterval(s.pass1)]);
  if (input.student === null)
    notes.push(
      "**No student:** nothing was trained (curation kept no pairs), so the student would be the base model; " +
        "it was not evaluated a second time and there is no comparison.",
    );
  if (cmp) {
    const p = cmp.mcnemar ? `${formatPValue(cmp.mcnemar.pValue)} (${cmp.mcnemar.method})` : "n/a (n > 1)";
    notes.push(
      `Difference student − base: **${formatInterval(cmp.difference)}** points (paired bootstrap, 95% CI) on ${cmp.problems} held-out problems; student better on ${cmp.wins}, worse on ${cmp.losses}, same on ${cmp.ties}; McNemar p = ${p}.`,
    );
  }
  notes.push("pass@1 in percent with 95% bootstrap confidence intervals over problems.");
  // @ssb/eval's own notes: what a "(no CI)" means, a benchmark too small for its intervals, a partial run.
  const runs = input.student ? [input.base, input.student] : [input.base];
  notes.push(...summaryNotes(runs), ...(input.comparison ? comparisonNotes(input.comparison) : []));
  return {
    title: "Accuracy on the held-out problems",
    notes,
    table: { header: ["model", "problems", "samples/problem", "pass@1 % [95% CI]"], rows },
    svg: [
      intervalChartSvg(
        [...(b ? [{ label: "base", ...b.pass1 }] : []), ...(s ? [{ label: "student", ...s.pass1 }] : [])],
        "pass@1 with 95% CI",
      ),
    ],
  };
}

function curationSection(c: CurationSummary): Section {
  const rows: string[][] = [
    ["problems", String(c.problems)],
    [
      "rollouts correct / wrong / no answer",
      `${c.rollouts.correct} / ${c.rollouts.wrong} / ${c.rollouts.noAnswer}`,
    ],
    ["selected (a correct and a wrong rollout)", String(c.selected)],
    ["kept (teacher reply correct → pair)", String(c.kept ?? 0)],
    ["dropped", String(c.dropped.total)],
  ];
  for (const [reason, count] of Object.entries(c.dropped.byReason).sort((x, y) => y[1] - x[1])) {
    rows.push([`dropped: ${reason}`, String(count)]);
  }
  if (c.replyLengths) rows.push(["teacher reply tokens (mean)", num(c.replyLengths.tokens.mean)]);
  return { title: "Curation", notes: [], table: { header: ["", "count"], rows } };
}

function distillSection(input: ReportInput): Section {
  const m = input.metrics;
  const notes = [input.distillNote];
  if (m.length === 0) return { title: "Distillation", notes };
  const first = m[0];
  const last = m[m.length - 1];
  if (first && last) {
    notes.push(
      `${counted(m.length, "optimizer step")}; loss ${num(first.loss, 4)} at step ${first.step} → ${num(last.loss, 4)} at step ${last.step}.`,
    );
  }
  return { title: "Distillation", notes, svg: [lossCurveSvg(m, "distillation loss (forward KL × T²)")] };
}

function lengthSection(input: ReportInput): Section {
  const rows: string[][] = [];
  const series: HistogramSeries[] = [];
  for (const [name, run] of [
    ["base", input.base],
    ["student", input.student],
  ] as const) {
    const b = run?.benchmarks[0];
    if (!b) continue;
    rows.push([
      name,
      num(b.length.mean),
      num(b.length.median, 0),
      num(b.length.p90, 0),
      pct(b.truncationRate),
      pct(b.noAnswerRate),
    ]);
    const h = b.length.histogram;
    series.push({ name, edges: h.edges, counts: h.counts });
  }
  return {
    title: "Response lengths",
    notes: ["Generated tokens per held-out answer."],
    table: { header: ["model", "mean", "median", "p90", "truncated", "no answer"], rows },
    svg: [histogramSvg(series, "response length histogram", "tokens", "answers")],
  };
}

function timeSection(stages: readonly StageRecord[]): Section {
  const rows = stages.map((s) => [s.stage, num(s.seconds), s.resumed ? "yes" : ""]);
  const total = stages.reduce((sum, s) => sum + s.seconds, 0);
  rows.push(["total", num(total), ""]);
  return {
    title: "Time per stage",
    notes: ["Wall-clock seconds of the session that finished each stage (interrupted sessions not counted)."],
    table: { header: ["stage", "seconds", "resumed"], rows },
    svg: [
      barChartSvg(
        stages.map((s) => ({ label: s.stage, value: s.seconds })),
        "seconds per stage",
        "s",
      ),
    ],
  };
}

function sections(input: ReportInput): Section[] {
  return [
    accuracySection(input),
    curationSection(input.curation),
    distillSection(input),
    lengthSection(input),
    timeSection(input.stages),
  ];
}

function markdownTable(t: { header: string[]; rows: string[][] }): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  return [t.header, t.header.map(() => "---"), ...t.rows]
    .map((r) => `| ${r.map(esc).join(" | ")} |`)
    .join("\n");
}

export function renderReportMarkdown(input: ReportInput): string {
  const out = [`# ${input.title}`, "", ...input.about.map((l) => `- ${l}`), ""];
  for (const s of sections(input)) {
    out.push(`## ${s.title}`, "");
    if (s.table) out.push(markdownTable(s.table), "");
    for (const n of s.notes) out.push(n, "");
  }
  // The loss plot only when training wrote one (nothing trained: there is none).
  out.push(`Plots: see report.html (self-contained)${input.lossPlot ? ` and ${input.lossPlot}` : ""}.`, "");
  return out.join("\n");
}

const STYLE =
  "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222;padding:0 16px}" +
  "h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}" +
  "table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}" +
  "th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}" +
  "th{background:#f4f4f4}svg{display:block;margin:8px 0 18px;max-width:100%;height:auto}";

/** Markdown's **bold** in notes, everything else escaped. */
function noteHtml(note: string): string {
  return escapeXml(note).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

export function renderReportHtml(input: ReportInput): string {
  const body: string[] = [`<h1>${escapeXml(input.title)}</h1>`, "<ul>"];
  for (const l of input.about) body.push(`<li>${escapeXml(l)}</li>`);
  body.push("</ul>");
  for (const s of sections(input)) {
    body.push(`<h2>${escapeXml(s.title)}</h2>`);
    if (s.table) {
      body.push("<table>");
      body.push(`<tr>${s.table.header.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr>`);
      for (const r of s.table.rows)
        body.push(`<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`);
      body.push("</table>");
    }
    for (const n of s.notes) body.push(`<p>${noteHtml(n)}</p>`);
    for (const svg of s.svg ?? []) body.push(svg);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(input.title)}</title><style>${STYLE}</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}
