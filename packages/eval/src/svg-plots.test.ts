import { describe, expect, it } from "vitest";
import { histogramChart } from "./svg-plots.js";

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
