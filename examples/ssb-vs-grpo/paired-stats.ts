/**
 * Paired comparisons of two arms evaluated on the same problems with the same sampling streams. With n > 1
 * samples per problem the samples of one problem are correlated, so every test here works on problems, not on
 * samples: the paired bootstrap CI of the difference (@ssb/eval's compareRuns), a sign-flip permutation test
 * on the per-problem differences, and McNemar's test on sample 0 alone (one sample per problem, where its
 * independence assumption holds).
 */
import {
  compareRuns,
  type Interval,
  type McNemarResult,
  mcnemarTest,
  rngFor,
  type SampleRecord,
} from "@ssb/eval";

export interface PairedDifference {
  /** "b − a", e.g. "SSB − base". */
  label: string;
  problems: number;
  /** pass@1(B) − pass@1(A) with the paired bootstrap 95% CI. */
  difference: Interval;
  /** Problems where B scored higher / lower / the same (pass@1 over its samples). */
  wins: number;
  losses: number;
  ties: number;
  /** Two-sided sign-flip permutation p-value of the mean per-problem difference. */
  permutationP: number;
  /** McNemar's test on each problem's sample 0 (null when a run has no sample 0 for the paired problems). */
  mcnemarSample0: McNemarResult | null;
}

/**
 * Two-sided p of the mean of `diffs` under the null that each difference is as likely negative as positive:
 * the share of random sign assignments whose |mean| is at least the observed one (with the +1 correction,
 * so p is never 0).
 */
export function signFlipPValue(diffs: readonly number[], resamples = 10_000, seed = 0): number {
  const nonZero = diffs.filter((d) => d !== 0);
  if (nonZero.length === 0) return 1;
  const observed = Math.abs(nonZero.reduce((s, d) => s + d, 0));
  const rng = rngFor(seed, "sign-flip");
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (const d of nonZero) sum += rng() < 0.5 ? -d : d;
    // A tolerance so that floating-point sums equal to the observed one count as "at least as extreme".
    if (Math.abs(sum) >= observed - 1e-9) extreme++;
  }
  return (extreme + 1) / (resamples + 1);
}

/** McNemar on sample 0 of every problem both runs answered. */
export function mcnemarOnFirstSample(
  a: readonly SampleRecord[],
  b: readonly SampleRecord[],
): McNemarResult | null {
  const first = (records: readonly SampleRecord[]) =>
    new Map(records.filter((r) => r.sampleIndex === 0).map((r) => [`${r.benchmark}\u0000${r.problemId}`, r]));
  const fa = first(a);
  const fb = first(b);
  let onlyA = 0;
  let onlyB = 0;
  let paired = 0;
  for (const [key, ra] of fa) {
    const rb = fb.get(key);
    if (rb === undefined) continue;
    paired++;
    if (ra.correct && !rb.correct) onlyA++;
    if (!ra.correct && rb.correct) onlyB++;
  }
  return paired === 0 ? null : mcnemarTest(onlyA, onlyB);
}

/** B − A on the problems both answered (one benchmark). */
export function pairedDifference(
  a: readonly SampleRecord[],
  b: readonly SampleRecord[],
  names: { a: string; b: string },
): PairedDifference {
  const cmp = compareRuns(a, b, names);
  const bench = cmp.benchmarks[0];
  if (bench === undefined) throw new Error(`no problems in common between ${names.a} and ${names.b}`);
  return {
    label: `${names.b} − ${names.a}`,
    problems: bench.problems,
    difference: bench.difference,
    wins: bench.wins,
    losses: bench.losses,
    ties: bench.ties,
    permutationP: signFlipPValue(bench.perProblem.map((p) => p.b - p.a)),
    mcnemarSample0: mcnemarOnFirstSample(a, b),
  };
}
