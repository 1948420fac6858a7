/** Metrics JSONL (one line per optimizer step) and a dependency-free SVG loss curve. */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { readJsonlFile, scanJsonl, writeFileAtomic } from "@ssb/durable-files";

export interface StepMetrics {
  step: number;
  epoch: number;
  loss: number;
  /** Divergence term (times T² when scaled); null in SFT. */
  kl: number | null;
  ce: number | null;
  gradNorm: number;
  lr: number;
  tokensPerSec: number;
  /** Trained rows (reply tokens) in the step. */
  rows: number;
  /** Wall time of the run so far (seconds), carried across resumes. */
  elapsedSec: number;
}

/** Append one step's metrics as a JSONL line (any record with a `step`: the KD/SFT trainer's, GRPO's). */
export function appendMetrics<T extends { step: number } = StepMetrics>(file: string, m: T): void {
  appendFileSync(file, `${JSON.stringify(m)}\n`);
}

/**
 * The metrics records of `file` (none when it is missing). A torn last line (a kill mid-write) is left out; any
 * other line that is not JSON throws naming file:line:column (@ssb/durable-files' JSONL rules).
 */
export function readMetrics<T extends { step: number } = StepMetrics>(file: string): T[] {
  return readJsonlFile(file, { badLine: badMetricsLine }).records.map((r) => r.value as T);
}

function badMetricsLine(where: string, reason: string): Error {
  return new Error(`${where}: not a metrics record (${reason}); fix or remove that line, then resume`);
}

/** What a resume's truncateMetrics found and did (for its log line). */
export interface MetricsTruncation {
  /** Records kept (steps <= the checkpoint's). */
  kept: number;
  /** Records dropped: the steps after the checkpoint, which the resumed run redoes. */
  dropped: number;
  /** The 1-based line of a torn last record (the file ended mid-line, as after a kill in a write), dropped. */
  tornLine: number | null;
  /** Steps up to the checkpoint's that no record holds (lines removed by hand): they are not redone. */
  missing: number[];
  /** The last record kept (as parsed), or null: a resume carries its `elapsedSec` on without reading again. */
  last: Record<string, unknown> | null;
}

/**
 * Keep only steps <= `step` (after resuming from that checkpoint, later lines belong to the lost run). A last
 * line cut off mid-record (no newline after it: a kill during the write) is dropped and reported; any other
 * line that is not a record with a numeric `step` throws naming the file and line, and leaves the file as it
 * was: it is somebody's data, not the trainer's torn write. The kept lines are written back as they were,
 * through a temporary file and a rename, so a crash during the rewrite loses nothing.
 */
export function truncateMetrics(file: string, step: number): MetricsTruncation {
  if (!existsSync(file)) return { kept: 0, dropped: 0, tornLine: null, missing: [], last: null };
  const bytes = readFileSync(file);
  const scan = scanJsonl(bytes, file, { badLine: badMetricsLine });
  const records = scan.records.map((r) => {
    const n = (r.value as { step?: unknown } | null)?.step;
    if (typeof n !== "number" || !Number.isInteger(n))
      throw new Error(`${r.where}: a metrics record without an integer "step"; fix or remove that line`);
    return { step: n, text: bytes.toString("utf8", r.start, r.end).trim(), value: r.value };
  });
  const kept = records.filter((r) => r.step <= step);
  writeFileAtomic(file, kept.map((r) => `${r.text}\n`).join(""));
  const have = new Set(kept.map((r) => r.step));
  const missing: number[] = [];
  for (let s = 1; s <= step; s++) if (!have.has(s)) missing.push(s);
  return {
    kept: kept.length,
    dropped: records.length - kept.length,
    tornLine: scan.torn?.line ?? null,
    missing,
    last: (kept.at(-1)?.value as Record<string, unknown> | undefined) ?? null,
  };
}

/** The log lines a resume's metrics truncation calls for (none when the file was whole). */
export function describeTruncation(file: string, step: number, t: MetricsTruncation): string[] {
  const lines: string[] = [];
  if (t.tornLine !== null)
    lines.push(
      `${file}:${t.tornLine}: dropped a torn last line (a record cut off by a kill); the steps after ${step} are redone`,
    );
  if (t.missing.length > 0) {
    const shown = t.missing.length > 10 ? `${t.missing.slice(0, 10).join(", ")}, ...` : t.missing.join(", ");
    lines.push(
      `${file}: no record of step${t.missing.length > 1 ? "s" : ""} ${shown} (of 1..${step}, which the checkpoint holds); they are not redone`,
    );
  }
  return lines;
}

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
}

function niceNumber(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

/**
 * The x axis' tick values: 5 evenly spaced, or, for whole-number x (steps, rounds), whole numbers only, each
 * once (a 3-step run's axis read 1.00, 1.50, 2.00, ...; a one-step run's five ticks all read 1.00).
 */
function xTicks(x0: number, x1: number, integers: boolean): number[] {
  const ticks = Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4);
  return integers ? [...new Set(ticks.map(Math.round))] : x1 === x0 ? [x0] : ticks;
}

const xTickLabel = (v: number): string => (Number.isInteger(v) ? String(v) : niceNumber(v));

/** A small line plot: axes, 5 ticks each, one polyline per series, legend. */
export function svgLinePlot(series: Series[], title: string, xLabel: string, yLabel: string): string {
  const width = 640;
  const height = 360;
  const m = { left: 64, right: 16, top: 32, bottom: 44 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  const y0 = ys.length ? Math.min(0, ...ys) : 0;
  const y1 = ys.length ? Math.max(...ys) : 1;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${title}</text>`,
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="black"/>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle">${xLabel}</text>`,
    `<text x="14" y="${height / 2}" text-anchor="middle" transform="rotate(-90 14 ${height / 2})">${yLabel}</text>`,
  ];
  for (const xv of xTicks(x0, x1, xs.length > 0 && xs.every(Number.isInteger)))
    parts.push(
      `<text x="${sx(xv)}" y="${height - m.bottom + 14}" text-anchor="middle">${xTickLabel(xv)}</text>`,
    );
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${m.left - 6}" y="${sy(yv) + 4}" text-anchor="end">${niceNumber(yv)}</text>`);
    parts.push(`<line x1="${m.left}" y1="${sy(yv)}" x2="${width - m.right}" y2="${sy(yv)}" stroke="#eee"/>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? colors[i % colors.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")}"/>`,
    );
    // A polyline through one point draws nothing: a one-step run's loss is a dot.
    if (pts.length === 1) {
      const [[x, y]] = pts as [[number, number]];
      parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    parts.push(
      `<text x="${width - m.right - 4}" y="${m.top + 14 * (i + 1)}" text-anchor="end" fill="${color}">${s.name}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** Loss curve (raw per step and a moving average) from the metrics. */
export function lossCurveSvg(metrics: readonly StepMetrics[], title = "training loss"): string {
  const raw: [number, number][] = metrics.map((m) => [m.step, m.loss]);
  const window = Math.max(1, Math.round(metrics.length / 20));
  const smooth: [number, number][] = raw.map(([x], i) => {
    const slice = raw.slice(Math.max(0, i - window + 1), i + 1);
    return [x, slice.reduce((s, [, y]) => s + y, 0) / slice.length];
  });
  return svgLinePlot(
    [
      { name: "loss", points: raw, color: "#9ecae1" },
      { name: `moving average (${window})`, points: smooth, color: "#08519c" },
    ],
    title,
    "optimizer step",
    "loss",
  );
}
