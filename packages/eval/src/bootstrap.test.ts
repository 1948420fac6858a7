import { describe, expect, it } from "vitest";
import { bootstrapMeanCI, mean, pairedBootstrapDiffCI, quantileSorted } from "./bootstrap.js";
import { mulberry32 } from "./prng.js";

describe("quantileSorted", () => {
  it("interpolates linearly (numpy's default)", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
    expect(quantileSorted([5], 0.9)).toBe(5);
  });
});

describe("bootstrapMeanCI", () => {
  it("is seeded: same inputs and seed give the same interval, another label another one", () => {
    const v = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expect(bootstrapMeanCI(v, { seed: 1 })).toEqual(bootstrapMeanCI(v, { seed: 1 }));
    expect(bootstrapMeanCI(v, { seed: 1, label: "x" })).not.toEqual(
      bootstrapMeanCI(v, { seed: 1, label: "y" }),
    );
  });

  it("degenerates to a point when every problem scores the same", () => {
    expect(bootstrapMeanCI([1, 1, 1])).toEqual({ estimate: 1, lower: 1, upper: 1 });
  });

  // Acceptance: the 95% CI contains the true accuracy in 93-97% of 1,000 seeded simulations.
  it("covers a known accuracy in 93-97% of 1,000 simulations (single sample per problem)", () => {
    const truth = 0.4;
    const problems = 200;
    const rng = mulberry32(20261127);
    let covered = 0;
    for (let sim = 0; sim < 1000; sim++) {
      const values = Array.from({ length: problems }, () => (rng() < truth ? 1 : 0));
      const ci = bootstrapMeanCI(values, { resamples: 1000, seed: sim });
      if (ci.lower <= truth && truth <= ci.upper) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(930);
    expect(covered).toBeLessThanOrEqual(970);
  });

  it("covers the population mean with heterogeneous problems and 4 samples each", () => {
    // Problem difficulty p_i ~ Uniform(0, 1), so the expected pass@1 over the problem population is 0.5.
    const rng = mulberry32(99);
    let covered = 0;
    for (let sim = 0; sim < 1000; sim++) {
      const values = Array.from({ length: 150 }, () => {
        const p = rng();
        let c = 0;
        for (let s = 0; s < 4; s++) if (rng() < p) c++;
        return c / 4;
      });
      const ci = bootstrapMeanCI(values, { resamples: 1000, seed: sim });
      if (ci.lower <= 0.5 && 0.5 <= ci.upper) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(930);
    expect(covered).toBeLessThanOrEqual(970);
  });
});

describe("pairedBootstrapDiffCI", () => {
  it("estimates mean(b) - mean(a) and is narrower than an unpaired interval when runs are correlated", () => {
    const rng = mulberry32(5);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 300; i++) {
      const hard = rng() < 0.5;
      a.push(hard ? 0 : 1);
      b.push(hard ? (rng() < 0.1 ? 1 : 0) : 1); // B fixes 10% of the hard problems
    }
    const d = pairedBootstrapDiffCI(a, b, { seed: 3 });
    const meanDiff = b.reduce((s, x) => s + x, 0) / 300 - a.reduce((s, x) => s + x, 0) / 300;
    expect(d.estimate).toBeCloseTo(meanDiff, 12);
    expect(d.lower).toBeGreaterThan(0);
    const ciA = bootstrapMeanCI(a, { seed: 3 });
    expect(d.upper - d.lower).toBeLessThan(ciA.upper - ciA.lower);
  });

  it("refuses unpaired inputs", () => {
    expect(() => pairedBootstrapDiffCI([1], [1, 0])).toThrow(RangeError);
  });
});

describe("bootstrap input checks", () => {
  it("refuses a level outside (0, 1), with a hint for percentages", () => {
    expect(() => bootstrapMeanCI([1, 0], { level: 95 })).toThrow(
      "bootstrapMeanCI: level must be a fraction strictly between 0 and 1, e.g. 0.95 (got 95; for 95% pass 0.95)",
    );
    expect(() => bootstrapMeanCI([1, 0], { level: 1.5 })).toThrow(/level must be .*got 1\.5\)/);
    expect(() => bootstrapMeanCI([1, 0], { level: 0 })).toThrow(/level must be/);
  });

  it("refuses resamples that are not a positive integer", () => {
    expect(() => bootstrapMeanCI([1, 0], { resamples: 0 })).toThrow(
      "bootstrapMeanCI: resamples must be a positive integer (got 0)",
    );
    expect(() => bootstrapMeanCI([1, 0], { resamples: -1, label: "x" })).toThrow(
      "bootstrapMeanCI (x): resamples must be a positive integer (got -1)",
    );
    expect(() => bootstrapMeanCI([1, 0], { resamples: 2.5 })).toThrow(/got 2\.5/);
  });

  it("refuses values that are not finite numbers", () => {
    const strings = ["1", "0"] as unknown as number[];
    expect(() => mean(strings)).toThrow('mean: values[0] must be a finite number (got string "1")');
    expect(() => bootstrapMeanCI([1, Number.NaN])).toThrow(/values\[1\] must be a finite number \(got NaN\)/);
    expect(() => pairedBootstrapDiffCI([1, 0], strings)).toThrow(/pairedBootstrapDiffCI \(b\): values\[0\]/);
  });
});
