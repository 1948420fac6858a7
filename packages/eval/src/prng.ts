/**
 * Seeded randomness for bootstrap resampling and subset draws. Every statistic gets its own stream derived from
 * (seed, label), so adding a benchmark or a subject to a report never changes another row's interval. The
 * generator and hash are @ssb/curation's (one implementation in the project); eval adds per-sample seeds.
 */
import { hashString } from "@ssb/curation";

export { hashString, mulberry32, type Rng, rngFor } from "@ssb/curation";

/** A 31-bit non-negative seed for one sample: (run seed, benchmark, problem id, sample index). */
export function sampleSeed(seed: number, benchmark: string, problemId: string, sampleIndex: number): number {
  return hashString([String(seed), benchmark, problemId, String(sampleIndex)].join("\u0000")) & 0x7fffffff;
}
