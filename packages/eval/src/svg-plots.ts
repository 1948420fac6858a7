/**
 * Inline SVG charts for the HTML report, written by hand so the page needs no script and no network: dot-and-
 * whisker intervals, histograms and win/loss bars. Each function returns one `<svg>` element as a string.
 */

import { maxOf } from "./extrema.js";
import { formatPercent } from "./format-percent.js";
import { niceWidth } from "./summarize.js";

export interface IntervalPoint {
  series: string;
  estimate: number;
  lower: number;
  upper: number;
}

export interface IntervalRow {
  label: string;
  points: IntervalPoint[];
}

/** Colour-blind-safe palette (Okabe–Ito). */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "0");

/**
 * Legends list one entry a line. Side by side at a fixed 150 px (170 in the win/loss chart) a run name longer
 * than about 22 characters (a model id such as `Qwen2.5-3B-Instruct+adapter`) ran into the next entry, and
 * the histogram's, laid out leftwards from the right edge, went off the chart from five runs on.
 */
const LEGEND_LINE = 16;
const pct = (v: number) => (Number.isFinite(v) ? `${formatPercent(v)}%` : "n/a");

/** Horizontal accuracy chart: one row per label, one dot with its CI whisker per series, x axis 0–100%. */
export function intervalChart(
  rows: readonly IntervalRow[],
  options: { title: string; series: readonly string[]; domain?: readonly [number, number]; unit?: string },
): string {
  const [lo, hi] = options.domain ?? [0, 1];
  const unit = options.unit ?? "%";
  const labelWidth = 190;
  const plotWidth = 460;
  const rowHeight = 14 + 12 * Math.max(1, options.series.length);
  const top = 34;
  const legendHeight = options.series.length > 1 ? LEGEND_LINE * options.series.length + 6 : 0;
  const height = top + rows.length * rowHeight + 30 + legendHeight;
  const width = labelWidth + plotWidth + 30;
  const x = (v: number) => labelWidth + Math.max(0, Math.min(1, (v - lo) / (hi - lo))) * plotWidth;
  const parts: string[] = [];
  parts.push(`<text x="${labelWidth}" y="16" class="title">${escapeXml(options.title)}</text>`);
  // A symmetric axis gets a tick at zero (11 ticks); 0-100% gets every 20%.
  const tickStep = lo < 0 ? 1 : 2;
  for (let t = 0; t <= 10; t += tickStep) {
    const v = lo + ((hi - lo) * t) / 10;
    const gx = x(v);
    const cls = Math.abs(v) < 1e-12 && lo < 0 ? "zero" : "grid";
    parts.push(
      `<line x1="${fmt(gx)}" y1="${top - 6}" x2="${fmt(gx)}" y2="${top + rows.length * rowHeight}" class="${cls}"/>`,
    );
    parts.push(
      `<text x="${fmt(gx)}" y="${top + rows.length * rowHeight + 14}" class="tick" text-anchor="middle">${Math.round(v * 100)}${unit}</text>`,
    );
  }
  rows.forEach((row, r) => {
    const y0 = top + r * rowHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${fmt(y0 + rowHeight / 2 + 4)}" class="label" text-anchor="end">${escapeXml(row.label)}</text>`,
    );
    row.points.forEach((p) => {
      const s = Math.max(0, options.series.indexOf(p.series));
      const color = PALETTE[s % PALETTE.length] ?? "#000";
      const y = y0 + 10 + s * 12;
      // A difference is in points, not percent; a collapsed interval is no interval (see report-notes.ts).
      const show = (v: number) => (unit === "%" ? pct(v) : formatPercent(v));
      const ci =
        Number.isFinite(p.lower) && p.lower === p.upper
          ? " (no CI)"
          : ` [${show(p.lower)}, ${show(p.upper)}]`;
      const tip = `${row.label} · ${p.series}: ${show(p.estimate)}${ci}`;
      parts.push(
        `<g><title>${escapeXml(tip)}</title>` +
          `<line x1="${fmt(x(p.lower))}" y1="${y}" x2="${fmt(x(p.upper))}" y2="${y}" stroke="${color}" stroke-width="2"/>` +
          `<line x1="${fmt(x(p.lower))}" y1="${y - 4}" x2="${fmt(x(p.lower))}" y2="${y + 4}" stroke="${color}" stroke-width="2"/>` +
          `<line x1="${fmt(x(p.upper))}" y1="${y - 4}" x2="${fmt(x(p.upper))}" y2="${y + 4}" stroke="${color}" stroke-width="2"/>` +
          `<circle cx="${fmt(x(p.estimate))}" cy="${y}" r="4" fill="${color}"/></g>`,
      );
    });
  });
  if (options.series.length > 1) {
    const first = height - legendHeight + LEGEND_LINE;
    options.series.forEach((name, s) => {
      const ly = first + s * LEGEND_LINE;
      parts.push(`<circle cx="${labelWidth}" cy="${ly - 4}" r="4" fill="${PALETTE[s % PALETTE.length]}"/>`);
      parts.push(`<text x="${labelWidth + 8}" y="${ly}" class="tick">${escapeXml(name)}</text>`);
    });
  }
  return svg(width, height, options.title, parts);
}

export interface HistogramSeries {
  name: string;
  edges: readonly number[];
  counts: readonly number[];
}

/**
 * Bar histogram; series with the same bins are drawn side by side within each bin. Series binned differently
 * (runs with other token budgets get other bin widths) get a chart each: drawn on the first one's bins, a run
 * with 500-token bins showed under 200-token labels.
 */
export function histogramChart(
  series: readonly HistogramSeries[],
  options: { title: string; xLabel: string },
): string {
  const groups = new Map<string, HistogramSeries[]>();
  for (const s of series) {
    const key = s.edges.join(",");
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  if (groups.size <= 1) return histogramSvg(series, options);
  return [...groups.values()]
    .map((g) =>
      histogramSvg(g, { ...options, title: `${options.title} (${g.map((s) => s.name).join(", ")})` }),
    )
    .join("");
}

function histogramSvg(
  series: readonly HistogramSeries[],
  options: { title: string; xLabel: string },
): string {
  const width = 680;
  const legendHeight = series.length > 1 ? LEGEND_LINE * series.length + 6 : 0;
  const height = 240 + legendHeight;
  const left = 50;
  const right = 20;
  const top = 30;
  const bottom = 44 + legendHeight;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const first = series[0];
  const parts: string[] = [`<text x="${left}" y="16" class="title">${escapeXml(options.title)}</text>`];
  if (first === undefined || first.counts.length === 0) {
    parts.push(`<text x="${left}" y="${top + 20}" class="tick">no data</text>`);
    return svg(width, height, options.title, parts);
  }
  const bins = first.counts.length;
  // Whole-number ticks (a step of 1, 2 or 5 × 10^k) with the axis ending on one: quarters of the largest count
  // put "1" at 0.5 and 1 and "2" at 1.5 and 2 when it was 2.
  const countStep = niceWidth(Math.max(1, maxOf(series.flatMap((s) => s.counts))) / 4);
  const maxCount = countStep * Math.max(1, Math.ceil(maxOf(series.flatMap((s) => s.counts)) / countStep));
  const binW = plotW / bins;
  const barW = binW / series.length;
  const yOf = (c: number) => top + plotH - (c / maxCount) * plotH;
  for (let c = 0; c <= maxCount; c += countStep) {
    parts.push(
      `<line x1="${left}" y1="${fmt(yOf(c))}" x2="${left + plotW}" y2="${fmt(yOf(c))}" class="grid"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${fmt(yOf(c) + 4)}" class="tick" text-anchor="end">${Math.round(c)}</text>`,
    );
  }
  series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length] ?? "#000";
    s.counts.forEach((c, i) => {
      const x = left + i * binW + si * barW;
      const tip = `${s.name}: ${s.edges[i]}–${s.edges[i + 1]} tokens: ${c}`;
      parts.push(
        `<rect x="${fmt(x + 0.5)}" y="${fmt(yOf(c))}" width="${fmt(Math.max(0.5, barW - 1))}" height="${fmt(top + plotH - yOf(c))}" fill="${color}"><title>${escapeXml(tip)}</title></rect>`,
      );
    });
  });
  const step = Math.max(1, Math.ceil(bins / 10));
  for (let i = 0; i <= bins; i += step) {
    parts.push(
      `<text x="${fmt(left + i * binW)}" y="${top + plotH + 14}" class="tick" text-anchor="middle">${first.edges[i] ?? ""}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - legendHeight - 8}" class="tick" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
  );
  parts.push(
    `<text x="12" y="${fmt(top + plotH / 2)}" class="tick" text-anchor="middle" transform="rotate(-90 12 ${fmt(top + plotH / 2)})">samples</text>`,
  );
  if (series.length > 1) {
    const first = height - legendHeight + LEGEND_LINE;
    series.forEach((s, si) => {
      const ly = first + si * LEGEND_LINE;
      parts.push(
        `<rect x="${left}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`,
      );
      parts.push(`<text x="${left + 14}" y="${ly}" class="tick">${escapeXml(s.name)}</text>`);
    });
  }
  return svg(width, height, options.title, parts);
}

export interface WinLossRow {
  label: string;
  wins: number;
  ties: number;
  losses: number;
}

/** Stacked horizontal bars of per-problem wins (B better), ties and losses (A better). */
export function winLossChart(
  rows: readonly WinLossRow[],
  options: { title: string; a: string; b: string },
): string {
  const labelWidth = 120;
  const plotWidth = 520;
  const rowHeight = 28;
  const top = 34;
  const legendHeight = 3 * LEGEND_LINE + 6;
  const height = top + rows.length * rowHeight + legendHeight;
  const width = labelWidth + plotWidth + 20;
  const colors = { wins: "#009E73", ties: "#BBBBBB", losses: "#D55E00" };
  const parts: string[] = [`<text x="${labelWidth}" y="16" class="title">${escapeXml(options.title)}</text>`];
  rows.forEach((row, r) => {
    const total = Math.max(1, row.wins + row.ties + row.losses);
    const y = top + r * rowHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" class="label" text-anchor="end">${escapeXml(row.label)}</text>`,
    );
    let x = labelWidth;
    for (const part of ["wins", "ties", "losses"] as const) {
      const w = (row[part] / total) * plotWidth;
      if (w > 0) {
        const tip = `${row.label}: ${row[part]} ${part === "wins" ? `${options.b} better` : part === "losses" ? `${options.a} better` : "same"}`;
        parts.push(
          `<rect x="${fmt(x)}" y="${y + 3}" width="${fmt(w)}" height="18" fill="${colors[part]}"><title>${escapeXml(tip)}</title></rect>`,
        );
        if (w > 24)
          parts.push(
            `<text x="${fmt(x + w / 2)}" y="${y + 16}" class="bar" text-anchor="middle">${row[part]}</text>`,
          );
      }
      x += w;
    }
  });
  const legend = [
    ["wins", `${options.b} better`],
    ["ties", "same"],
    ["losses", `${options.a} better`],
  ] as const;
  legend.forEach(([part, text], i) => {
    const ly = height - legendHeight + LEGEND_LINE * (i + 1);
    parts.push(`<rect x="${labelWidth}" y="${ly - 9}" width="10" height="10" fill="${colors[part]}"/>`);
    parts.push(`<text x="${labelWidth + 14}" y="${ly}" class="tick">${escapeXml(text)}</text>`);
  });
  return svg(width, height, options.title, parts);
}

function svg(width: number, height: number, title: string, parts: readonly string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${fmt(height)}" viewBox="0 0 ${width} ${fmt(height)}" role="img" aria-label="${escapeXml(title)}">` +
    parts.join("") +
    "</svg>"
  );
}
