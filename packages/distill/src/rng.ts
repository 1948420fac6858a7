/**
 * A small seeded PRNG (SplitMix32-style mixing of a 32-bit counter), so shuffles and initialisations depend
 * only on (seed, stream) and can be recomputed on resume instead of being stored.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

function mix(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hash a seed and any number of stream labels into one 32-bit state. */
export function seedFrom(seed: number, ...streams: (number | string)[]): number {
  let h = mix(seed >>> 0);
  // Seeds go up to 2^53 - 1: fold in the bits above 32 too (seed 2^32 is not seed 0). Below 2^32 nothing is
  // added, so the streams of those seeds (and the runs and resumes built on them) stay as they were.
  const high = Math.floor(seed / 4294967296);
  if (high > 0) h = mix(h ^ mix(high >>> 0) ^ 0x5bd1e995);
  for (const s of streams) {
    if (typeof s === "number") h = mix(h ^ mix(s >>> 0));
    else for (let i = 0; i < s.length; i++) h = mix(h ^ s.charCodeAt(i));
  }
  return h;
}

export function createRng(seed: number, ...streams: (number | string)[]): Rng {
  let state = seedFrom(seed, ...streams);
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    return mix(state) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
