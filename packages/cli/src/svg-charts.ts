/**
 * Small inline-SVG charts the pipeline report needs and the packages do not export: accuracy intervals (a
 * dot and a whisker per run), horizontal bars (stage times) and a histogram (response lengths). The loss
 * curve comes from @ssb/distill.
 */
import { formatPercent } from "@ssb/eval";

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface IntervalPoint {
  label: string;
  estimate: number;
  lower: number;
  upper: number;
}

/** Horizontal dot-and-whisker chart on a 0–100% axis. */
export function intervalChartSvg(points: readonly IntervalPoint[], title: string): string {
  const width = 640;
  const rowH = 34;
  const m = { left: 120, right: 24, top: 34, bottom: 34 };
  const height = m.top + m.bottom + rowH * points.length;
  const sx = (v: number) => m.left + Math.max(0, Math.min(1, v)) * (width - m.left - m.right);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-weight="600">${escapeXml(title)}</text>`,
  ];
  for (let t = 0; t <= 10; t += 2) {
    const x = sx(t / 10);
    parts.push(
      `<line x1="${x}" y1="${m.top - 6}" x2="${x}" y2="${height - m.bottom}" stroke="#e4e4e4"/>`,
      `<text x="${x}" y="${height - m.bottom + 16}" text-anchor="middle" fill="#444">${t * 10}%</text>`,
    );
  }
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"];
  points.forEach((p, i) => {
    const y = m.top + rowH * i + rowH / 2;
    const color = colors[i % colors.length];
    parts.push(
      `<text x="${m.left - 8}" y="${y + 4}" text-anchor="end">${escapeXml(p.label)}</text>`,
      `<line x1="${sx(p.lower)}" y1="${y}" x2="${sx(p.upper)}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${sx(p.lower)}" y1="${y - 6}" x2="${sx(p.lower)}" y2="${y + 6}" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${sx(p.upper)}" y1="${y - 6}" x2="${sx(p.upper)}" y2="${y + 6}" stroke="${color}" stroke-width="2"/>`,
      `<circle cx="${sx(p.estimate)}" cy="${y}" r="5" fill="${color}"/>`,
      `<text x="${sx(p.upper) + 8}" y="${y + 4}" fill="#333">${formatPercent(p.estimate)}%</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

export interface BarDatum {
  label: string;
  value: number;
}

/** Horizontal bars with their values printed, e.g. seconds per stage. */
export function barChartSvg(data: readonly BarDatum[], title: string, unit: string): string {
  const width = 640;
  const rowH = 26;
  const m = { left: 120, right: 90, top: 32, bottom: 12 };
  const height = m.top + m.bottom + rowH * data.length;
  const max = Math.max(1e-9, ...data.map((d) => d.value));
  const sx = (v: number) => (v / max) * (width - m.left - m.right);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-weight="600">${escapeXml(title)}</text>`,
  ];
  data.forEach((d, i) => {
    const y = m.top + rowH * i;
    parts.push(
      `<text x="${m.left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${escapeXml(d.label)}</text>`,
      `<rect x="${m.left}" y="${y + 4}" width="${Math.max(1, sx(d.value))}" height="${rowH - 8}" fill="#4c78a8"/>`,
      `<text x="${m.left + sx(d.value) + 6}" y="${y + rowH / 2 + 4}" fill="#333">${d.value.toFixed(1)} ${escapeXml(unit)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

export interface HistogramSeries {
  name: string;
  /** Bin edges (counts.length + 1 of them), e.g. token counts. */
  edges: readonly number[];
  counts: readonly number[];
}

/** 1, 2 or 5 × 10^k: the smallest such step at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  return [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
}

/**
 * Grouped bars per bin, one colour per series. A histogram counts whole answers over whole-token bins, so the
 * axes are labelled with whole numbers: a line plot through the bin midpoints labelled a 0–3 count axis
 * "0.75, 1.50, 2.25" and the token axis "5.00, 42.50".
 */
export function histogramSvg(
  series: readonly HistogramSeries[],
  title: string,
  xLabel: string,
  yLabel: string,
): string {
  const width = 640;
  const m = { left: 56, right: 20, top: 32, bottom: 62 };
  const height = 300;
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-weight="600">${escapeXml(title)}</text>`,
  ];
  const first = series[0];
  const bins = first?.counts.length ?? 0;
  if (first === undefined || bins === 0) {
    parts.push(`<text x="${m.left}" y="${m.top + 20}" fill="#444">no data</text></svg>`);
    return parts.join("");
  }
  const largest = Math.max(1, ...series.flatMap((s) => s.counts));
  const step = niceStep(largest / 4);
  const top = step * Math.ceil(largest / step);
  const yOf = (c: number) => m.top + plotH - (c / top) * plotH;
  const f = (v: number) => v.toFixed(1);
  for (let c = 0; c <= top; c += step) {
    parts.push(
      `<line x1="${m.left}" y1="${f(yOf(c))}" x2="${m.left + plotW}" y2="${f(yOf(c))}" stroke="#e4e4e4"/>`,
      `<text x="${m.left - 6}" y="${f(yOf(c) + 4)}" text-anchor="end" fill="#444">${c}</text>`,
    );
  }
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"];
  const binW = plotW / bins;
  const barW = binW / series.length;
  series.forEach((s, si) => {
    s.counts.forEach((c, i) => {
      const tip = `${s.name}: ${s.edges[i]}–${s.edges[i + 1]} ${xLabel}: ${c}`;
      parts.push(
        `<rect x="${f(m.left + i * binW + si * barW + 0.5)}" y="${f(yOf(c))}" width="${f(Math.max(0.5, barW - 1))}" height="${f(m.top + plotH - yOf(c))}" fill="${colors[si % colors.length]}"><title>${escapeXml(tip)}</title></rect>`,
      );
    });
  });
  const every = Math.max(1, Math.ceil(bins / 10));
  for (let i = 0; i <= bins; i += every) {
    const edge = first.edges[i];
    const label = edge === undefined ? "" : Number.isInteger(edge) ? String(edge) : edge.toFixed(1);
    parts.push(
      `<text x="${f(m.left + i * binW)}" y="${m.top + plotH + 14}" text-anchor="middle" fill="#444">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${m.left + plotW / 2}" y="${m.top + plotH + 32}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="14" y="${f(m.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 14 ${f(m.top + plotH / 2)})">${escapeXml(yLabel)}</text>`,
  );
  series.forEach((s, si) => {
    const x = m.left + si * 110;
    parts.push(
      `<rect x="${x}" y="${height - 16}" width="10" height="10" fill="${colors[si % colors.length]}"/>`,
      `<text x="${x + 14}" y="${height - 7}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
