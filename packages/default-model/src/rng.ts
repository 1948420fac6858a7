/** Seeded randomness for the generator: @ssb/curation's mulberry32 stream, plus two small helpers. */
import { mulberry32, type Rng } from "@ssb/curation";

export { mulberry32, type Rng };

/** An integer in [lo, hi], inclusive. */
export const randInt = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}
