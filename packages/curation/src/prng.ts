/**
 * A tiny seeded PRNG so every random choice in curation is reproducible.
 *
 * Why not Math.random: selection must give the same pairs file on every run and after a resume, and
 * the choice for one problem must not depend on which problems were processed before it. So each
 * problem gets its own stream, derived from (run seed, problem id) by hashing — never from a shared
 * global stream whose position depends on processing order.
 */

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32-bit state, good enough statistical quality for tie-breaking and sampling picks. */
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

/** FNV-1a over the UTF-16 code units of a string, with a final avalanche so close strings diverge. */
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

/**
 * A stream for one named purpose under a run seed, e.g. `rngFor(seed, "select", problemId)`.
 * Parts are joined with a separator that cannot occur in a decimal seed, so ("1","23") and ("12","3") differ.
 */
export function rngFor(seed: number, ...parts: string[]): Rng {
  return mulberry32(hashString([String(seed), ...parts].join("\u0000")));
}

/** A 31-bit non-negative integer derived from a seed and names: for seeding a generator's sampler. */
export function derivedSeed(seed: number, ...parts: string[]): number {
  return hashString([String(seed), ...parts].join("\u0000")) & 0x7fffffff;
}

/** Uniform index in [0, n). Throws on an empty range because a pick from nothing is a caller bug. */
export function pickIndex(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`pickIndex: expected a positive count, got ${n}`);
  return Math.min(n - 1, Math.floor(rng() * n));
}
