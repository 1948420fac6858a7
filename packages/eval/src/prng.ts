/**
 * Seeded randomness for bootstrap resampling and subset draws. Every statistic gets its own stream derived from
 * (seed, label), so adding a benchmark or a subject to a report never changes another row's interval.
 */

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32-bit state, fast, and plenty for resampling indices. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units with a final avalanche, so labels that differ by one character diverge. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stream for one named purpose under a seed; parts are joined with NUL so ("1","23") differs from ("12","3"). */
export function rngFor(seed: number, ...parts: string[]): Rng {
  return mulberry32(hashString([String(seed), ...parts].join("\u0000")));
}

/** A 31-bit non-negative seed for one sample: (run seed, benchmark, problem id, sample index). */
export function sampleSeed(seed: number, benchmark: string, problemId: string, sampleIndex: number): number {
  return hashString([String(seed), benchmark, problemId, String(sampleIndex)].join("\u0000")) & 0x7fffffff;
}
