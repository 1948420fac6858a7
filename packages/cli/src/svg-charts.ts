/**
 * Two small inline-SVG charts the pipeline report needs and the packages do not export: accuracy intervals
 * (a dot and a whisker per run) and horizontal bars (stage times). Line plots come from @ssb/distill.
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
