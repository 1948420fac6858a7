/**
 * Acceptance 2 (unit level): the sampler's empirical frequencies match softmax(logits / T) restricted by
 * top-k / top-p / min-p, by a chi-square goodness-of-fit test at significance 0.001 with a fixed seed; the
 * kept set is checked exactly against an independent, sort-everything implementation of transformers'
 * warpers; and the repetition penalty matches transformers' formula on a hand case.
 */
import { describe, expect, it } from "vitest";
import { topK } from "./logit-math.js";
import { streamKey, uniformAt } from "./prng.js";
import {
  applyRepetitionPenalty,
  candidates,
  type SamplerSettings,
  sampleFromRow,
  sampleFromTop,
  samplingDistribution,
  servedByTop,
  topNeedsRow,
} from "./sampler.js";

/** transformers' warpers written the plain way: full softmax, full sort, masks. */
function referenceDistribution(logits: number[], s: SamplerSettings): number[] {
  const V = logits.length;
  let scores = logits.map((l) => l / s.temperature);
  const removed = new Array<boolean>(V).fill(false);
  if (s.topK > 0 && s.topK < V) {
    const kth = [...scores].sort((a, b) => b - a)[s.topK - 1] as number;
    scores.forEach((v, i) => {
      if (v < kth) removed[i] = true;
    });
  }
  const softmax = (): number[] => {
    const live = scores.map((v, i) => (removed[i] ? Number.NEGATIVE_INFINITY : v));
    const m = Math.max(...live);
    const e = live.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  };
  if (s.topP < 1) {
    const p = softmax();
    // Ties: the higher id counts as smaller (the sampler orders equal logits by ascending id, descending).
    const asc = p.map((_, i) => i).sort((a, b) => (p[a] as number) - (p[b] as number) || b - a);
    let cum = 0;
    asc.forEach((i, j) => {
      cum += p[i] as number;
      // keep at least the largest token
      if (cum <= 1 - s.topP && j < V - 1) removed[i] = true;
    });
  }
  if (s.minP > 0) {
    const p = softmax();
    const top = Math.max(...p);
    p.forEach((v, i) => {
      if (v < s.minP * top) removed[i] = true;
    });
  }
  scores = scores.map((v, i) => (removed[i] ? Number.NEGATIVE_INFINITY : v));
  return softmax();
}

/** Wilson–Hilferty approximation of the chi-square quantile (z = 3.0902 for upper tail 0.001). */
function chiSquareCritical(df: number, z = 3.0902): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

const LOGITS = [2.1, 1.9, 1.2, 0.8, 0.3, 0.3, -0.4, -1.0, -1.7, -2.5, -3.0, 0.0];
const base: SamplerSettings = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1 };
const cases: [string, SamplerSettings][] = [
  ["temperature 0.7", { ...base, temperature: 0.7 }],
  ["temperature 1.5", { ...base, temperature: 1.5 }],
  ["top-k 4", { ...base, topK: 4 }],
  ["top-k 5 (tie at the boundary kept)", { ...base, topK: 5 }],
  ["top-p 0.8 at T 1.2", { ...base, temperature: 1.2, topP: 0.8 }],
  ["min-p 0.15", { ...base, minP: 0.15 }],
  [
    "top-k 8 + top-p 0.9 + min-p 0.05 at T 0.8",
    { ...base, temperature: 0.8, topK: 8, topP: 0.9, minP: 0.05 },
  ],
];

describe("sampler distribution", () => {
  for (const [label, settings] of cases) {
    it(`matches transformers' warpers and passes chi-square: ${label}`, () => {
      const expected = referenceDistribution(LOGITS, settings);
      const dist = samplingDistribution(LOGITS, settings);
      for (let i = 0; i < LOGITS.length; i++) expect(dist.get(i) ?? 0).toBeCloseTo(expected[i] as number, 12);

      const N = 40_000;
      const counts = new Array<number>(LOGITS.length).fill(0);
      const key = streamKey(1234, label, 0);
      for (let t = 0; t < N; t++) {
        const id = sampleFromRow(LOGITS, settings, uniformAt(key, t));
        counts[id] = (counts[id] as number) + 1;
      }
      let chi = 0;
      let df = -1;
      for (let i = 0; i < LOGITS.length; i++) {
        const e = (expected[i] as number) * N;
        if (e === 0) {
          expect(counts[i], `token ${i} is filtered out but was drawn`).toBe(0);
          continue;
        }
        chi += ((counts[i] as number) - e) ** 2 / e;
        df++;
      }
      expect(df).toBeGreaterThan(0);
      expect(chi).toBeLessThan(chiSquareCritical(df));
    });
  }

  it("returns candidates of its own: a later draw does not overwrite them", () => {
    // Draws share one weights buffer; candidates() must copy out of it.
    const settings = { ...base, topK: 4 };
    const first = candidates(LOGITS, settings);
    const snapshot = structuredClone(first);
    candidates(
      LOGITS.map((v) => -v),
      settings,
    );
    for (let i = 0; i < 50; i++)
      sampleFromRow(
        LOGITS.map((v) => v * 3),
        settings,
        i / 50,
      );
    expect(first).toEqual(snapshot);
  });

  it("is greedy at temperature 0, ties to the lowest id", () => {
    expect(sampleFromRow([0.1, 0.5, 0.5, 0.2], { ...base, temperature: 0 }, 0.99)).toBe(1);
  });

  it("takes the same candidates from a precomputed top list as from its own scan (ties past the k-th too)", () => {
    for (const [label, settings] of cases.filter(([, c]) => c.topK > 0)) {
      for (const extra of [1, 3]) {
        const known = topK(LOGITS, settings.topK + extra);
        expect(candidates(LOGITS, settings, known), label).toEqual(candidates(LOGITS, settings));
      }
      // Too short a list (no k+1-th entry to show ties) is not used.
      const short = { ids: [0], values: [99] };
      expect(candidates(LOGITS, settings, short), label).toEqual(candidates(LOGITS, settings));
    }
    expect(sampleFromRow(LOGITS, { ...base, temperature: 0 }, 0.3, { ids: [1], values: [9] })).toBe(1);
  });

  it("draws the same token from a top list alone as from the row, and asks for the row on ties and NaN", () => {
    const V = LOGITS.length;
    const served = [...cases, ["greedy", { ...base, temperature: 0 }] as [string, SamplerSettings]].filter(
      ([, c]) => servedByTop(c, V),
    );
    expect(served.map(([label]) => label)).toEqual([
      "top-k 4",
      "top-k 5 (tie at the boundary kept)",
      "top-k 8 + top-p 0.9 + min-p 0.05 at T 0.8",
      "greedy",
    ]);
    for (const [label, settings] of served) {
      const known = topK(LOGITS, settings.topK + 1);
      // top-k 5's 5th and 6th logits tie (0.3, 0.3): a list cannot show whether more follow.
      const tie = settings.temperature > 0 && settings.topK === 5;
      expect(topNeedsRow(known, settings), label).toBe(tie);
      if (tie) continue;
      for (let j = 0; j < 50; j++) {
        const u = j / 50;
        expect(sampleFromTop(known, V, settings, u), label).toBe(sampleFromRow(LOGITS, settings, u));
      }
    }
    // Longer lists than k + 1 are fine; a list of k entries shows nothing about ties.
    const s4 = { ...base, topK: 4 };
    expect(topNeedsRow(topK(LOGITS, 9), s4)).toBe(false);
    expect(topNeedsRow(topK(LOGITS, 4), s4)).toBe(true);
    expect(topNeedsRow({ ids: [0, 1], values: [Number.NaN, 1] }, { ...base, temperature: 0 })).toBe(true);
    expect(() => sampleFromTop(topK(LOGITS, 6), V, { ...base, topK: 5 }, 0.5)).toThrow(/whole logits row/);
    expect(servedByTop({ ...base, topK: 4 }, 4)).toBe(false); // top-k >= vocabulary filters nothing
  });

  it("keeps the reference's set on a wide vocabulary: top-p band search, large top-k, min-p (radix-sorted)", () => {
    const row = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 3);
    for (const s of [
      { ...base, topP: 0.95 },
      { ...base, topK: 1000 },
      { ...base, topK: 1000, topP: 0.9, temperature: 1.3 },
      { ...base, minP: 0.02, temperature: 2 },
    ]) {
      const expected = referenceDistribution(Array.from(row), s);
      const dist = samplingDistribution(row, s);
      expect(dist.size).toBe(expected.filter((p) => p > 0).length);
      for (const [id, p] of dist) expect(p).toBeCloseTo(expected[id] as number, 9);
    }
    // One logit well above a flat rest at a low temperature: the first band below the max holds too little
    // of the mass, so the band widens (its new part sorted and appended to the part already sorted).
    const peaked = Float32Array.from({ length: 5000 }, (_, i) =>
      i === 77 ? 1 : Math.sin(i * 12.9898) * 0.3,
    );
    for (const s of [
      { ...base, topP: 0.95, temperature: 0.1 },
      { ...base, topP: 0.6, temperature: 0.12, minP: 0.0001 },
    ]) {
      const expected = referenceDistribution(Array.from(peaked), s);
      const dist = samplingDistribution(peaked, s);
      expect(dist.size).toBe(expected.filter((p) => p > 0).length);
      for (const [id, p] of dist) expect(p).toBeCloseTo(expected[id] as number, 9);
    }
  });
});

describe("repetition penalty (transformers' RepetitionPenaltyLogitsProcessor)", () => {
  it("divides positive and multiplies negative logits of seen tokens, once per token", () => {
    const row = Float32Array.from([2, -1, 0.5, 3, -0.25]);
    applyRepetitionPenalty(row, new Set([0, 1, 4, 0]), 1.3);
    expect(Array.from(row)).toEqual(Array.from(Float32Array.from([2 / 1.3, -1 * 1.3, 0.5, 3, -0.25 * 1.3])));
  });

  it("can flip the greedy choice", () => {
    const row = Float32Array.from([1.0, 0.9, -5]);
    applyRepetitionPenalty(row, [0], 1.2);
    expect(sampleFromRow(row, { ...base, temperature: 0 }, 0)).toBe(1);
  });
});
