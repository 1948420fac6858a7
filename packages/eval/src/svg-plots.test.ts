import { describe, expect, it } from "vitest";
import { histogramChart, intervalChart, winLossChart } from "./svg-plots.js";

/** The y axis's tick labels, bottom to top. */
function yTicks(svg: string): string[] {
  return [...svg.matchAll(/class="tick" text-anchor="end">([^<]*)</g)].map((m) => m[1] ?? "");
}

describe("histogramChart", () => {
  it("labels the count axis with whole numbers, each at its own height", () => {
    // Largest count 2: quarters put "1" at 0.5 and 1, "2" at 1.5 and 2.
    const small = histogramChart([{ name: "A", edges: [0, 1, 2], counts: [2, 1] }], {
      title: "t",
      xLabel: "tokens",
    });
    expect(yTicks(small)).toEqual(["0", "1", "2"]);
    const larger = histogramChart([{ name: "A", edges: [0, 1, 2], counts: [37, 5] }], {
      title: "t",
      xLabel: "tokens",
    });
    expect(yTicks(larger)).toEqual(["0", "10", "20", "30", "40"]);
    expect(small).toContain(">samples</text>");
  });

  it("draws runs binned differently in charts of their own, each on its own bins", () => {
    const svg = histogramChart(
      [
        { name: "A", edges: [0, 200, 400], counts: [3, 1] },
        { name: "B", edges: [0, 500, 1000], counts: [1, 3] },
      ],
      { title: "gsm8k: generated tokens per sample", xLabel: "tokens" },
    );
    const charts = svg.split("<svg ").slice(1);
    expect(charts).toHaveLength(2);
    expect(charts[0]).toContain("gsm8k: generated tokens per sample (A)");
    expect(charts[0]).toContain(">400</text>");
    expect(charts[1]).toContain("gsm8k: generated tokens per sample (B)");
    expect(charts[1]).toContain(">1000</text>");
    expect(charts[1]).not.toContain(">400</text>");
    // Same bins: one chart, side by side.
    const shared = histogramChart(
      [
        { name: "A", edges: [0, 200, 400], counts: [3, 1] },
        { name: "B", edges: [0, 200, 400], counts: [1, 3] },
      ],
      { title: "t", xLabel: "tokens" },
    );
    expect(shared.split("<svg ")).toHaveLength(2);
  });
});

/** The x, y of each legend text (the entries naming the given labels) and the chart's height. */
function legendPlaces(svg: string, labels: readonly string[]): { x: number; y: number; height: number }[] {
  const height = Number(/height="([\d.]+)"/.exec(svg)?.[1]);
  return labels.map((label) => {
    const literal = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const m = new RegExp(`<text x="([\\d.]+)" y="([\\d.]+)" class="tick">${literal}</text>`).exec(svg);
    return { x: Number(m?.[1]), y: Number(m?.[2]), height };
  });
}

describe("legends", () => {
  // Model ids as run names: side by side at 150 px, one ran into the next.
  const names = [
    "Qwen2.5-3B-Instruct+adapter-r16",
    "Qwen2.5-3B-Instruct-grpo-step-400",
    "base",
    "x",
    "y",
    "z",
  ];

  /** Every entry on its own line inside the chart, none left of the chart's edge. */
  function expectOneEntryALine(svg: string, labels: readonly string[]): void {
    const places = legendPlaces(svg, labels);
    expect(new Set(places.map((p) => p.y)).size).toBe(labels.length);
    for (const p of places) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(p.height);
    }
  }

  it("interval charts list one run a line", () => {
    const svg = intervalChart(
      [
        {
          label: "math500",
          points: names.map((series) => ({ series, estimate: 0.5, lower: 0.4, upper: 0.6 })),
        },
      ],
      { title: "t", series: names },
    );
    expectOneEntryALine(svg, names);
  });

  it("histograms list one run a line, on the chart however many runs there are", () => {
    // Laid out leftwards from the right edge, the fifth and sixth run's entries had negative x.
    const svg = histogramChart(
      names.map((name) => ({ name, edges: [0, 10, 20], counts: [1, 2] })),
      { title: "t", xLabel: "tokens" },
    );
    expectOneEntryALine(svg, names);
  });

  it("the win/loss chart lists its three entries one a line", () => {
    const [a, b] = [names[0] ?? "", names[1] ?? ""];
    const svg = winLossChart([{ label: "math500", wins: 3, ties: 2, losses: 1 }], { title: "t", a, b });
    expectOneEntryALine(svg, [`${b} better`, "same", `${a} better`]);
  });
});
