/**
 * Two runs on the same problems: the difference in pass@1 (B − A) with a paired bootstrap CI over the problems
 * both runs answered, per-problem wins and losses, and — when both runs drew one sample per problem — McNemar's
 * test on the discordant problems.
 */
import {
  type BootstrapOptions,
  bootstrapMeanCI,
  checkBootstrapOptions,
  type Interval,
  mean,
  pairedBootstrapDiffCI,
} from "./bootstrap.js";
import { maxOf, minOf } from "./extrema.js";
import { type McNemarResult, mcnemarTest } from "./mcnemar.js";
import { groupRecords } from "./summarize.js";
import type { SampleRecord } from "./types.js";

export const COMPARISON_FORMAT = "ssb-eval-comparison/1";

export interface ProblemOutcome {
  problemId: string;
  /** pass@1 of the problem in each run (mean over its samples). */
  a: number;
  b: number;
}

export interface BenchmarkComparison {
  benchmark: string;
  /** Problems answered by both runs (the paired set every number below is computed on). */
  problems: number;
  onlyInA: number;
  onlyInB: number;
  samplesPerProblem: { a: number; b: number };
  a: Interval;
  b: Interval;
  /** pass@1(B) − pass@1(A), paired bootstrap CI. */
  difference: Interval;
  /** Problems where B scored higher / lower / the same. */
  wins: number;
  losses: number;
  ties: number;
  /** Only for single-sample runs (n = 1 in both); null otherwise. */
  mcnemar: McNemarResult | null;
  perProblem: ProblemOutcome[];
}

export interface RunComparison {
  format: typeof COMPARISON_FORMAT;
  a: string;
  b: string;
  bootstrap: { resamples: number; level: number; seed: number };
  benchmarks: BenchmarkComparison[];
  /** Benchmarks only one run has: not compared, and the reports say so. */
  unpairedBenchmarks: { onlyInA: string[]; onlyInB: string[] };
}

export function compareRuns(
  recordsA: readonly SampleRecord[],
  recordsB: readonly SampleRecord[],
  names: { a: string; b: string },
  options: { bootstrap?: Omit<BootstrapOptions, "label"> } = {},
): RunComparison {
  checkBootstrapOptions("compareRuns: options.bootstrap", options.bootstrap ?? {});
  const boot = { resamples: 2000, level: 0.95, seed: 0, ...options.bootstrap };
  const groupedA = groupRecords(recordsA);
  const groupedB = groupRecords(recordsB);
  const benchmarks: BenchmarkComparison[] = [];
  for (const [benchmark, problemsA] of groupedA) {
    const problemsB = groupedB.get(benchmark);
    if (problemsB === undefined) continue;
    const paired = [...problemsA.keys()].filter((id) => problemsB.has(id));
    // Pairing is by id: the same id graded against another gold answer is another problem (another file).
    for (const id of paired) {
      const [goldA, goldB] = [problemsA.get(id)?.[0]?.gold, problemsB.get(id)?.[0]?.gold];
      if (goldA !== goldB) {
        throw new Error(
          `${benchmark}/${id}: the runs graded it against different gold answers (${JSON.stringify(goldA)} vs ${JSON.stringify(goldB)}); they are not on the same data, so they cannot be paired`,
        );
      }
    }
    const score = (samples: readonly SampleRecord[]) => mean(samples.map((s) => (s.correct ? 1 : 0)));
    const perProblem: ProblemOutcome[] = paired.map((problemId) => ({
      problemId,
      a: score(problemsA.get(problemId) ?? []),
      b: score(problemsB.get(problemId) ?? []),
    }));
    const a = perProblem.map((p) => p.a);
    const b = perProblem.map((p) => p.b);
    const nA = minOf(paired.map((id) => problemsA.get(id)?.length ?? 0));
    const nB = minOf(paired.map((id) => problemsB.get(id)?.length ?? 0));
    const maxA = maxOf(paired.map((id) => problemsA.get(id)?.length ?? 0));
    const maxB = maxOf(paired.map((id) => problemsB.get(id)?.length ?? 0));
    const single = paired.length > 0 && nA === 1 && nB === 1 && maxA === 1 && maxB === 1;
    let onlyA = 0;
    let onlyB = 0;
    for (const p of perProblem) {
      if (p.a > p.b) onlyA++;
      else if (p.b > p.a) onlyB++;
    }
    benchmarks.push({
      benchmark,
      problems: paired.length,
      onlyInA: problemsA.size - paired.length,
      onlyInB: problemsB.size - paired.length,
      samplesPerProblem: { a: nA, b: nB },
      // The label summarize gives pass@1: when both runs cover the same problems, each run's interval here is the
      // one its own report shows. With labels of their own, comparison.html printed a run's pass@1 with two
      // intervals (its Runs table's and this table's).
      a: bootstrapMeanCI(a, { ...boot, label: `${benchmark}:pass@1` }),
      b: bootstrapMeanCI(b, { ...boot, label: `${benchmark}:pass@1` }),
      difference: pairedBootstrapDiffCI(a, b, { ...boot, label: benchmark }),
      wins: onlyB,
      losses: onlyA,
      ties: perProblem.length - onlyA - onlyB,
      mcnemar: single ? mcnemarTest(onlyA, onlyB) : null,
      perProblem,
    });
  }
  const unpairedBenchmarks = {
    onlyInA: [...groupedA.keys()].filter((name) => !groupedB.has(name)),
    onlyInB: [...groupedB.keys()].filter((name) => !groupedA.has(name)),
  };
  // Two runs called alike read "base vs base", with "base better" on both sides of the win/loss chart.
  const same = names.a === names.b;
  return {
    format: COMPARISON_FORMAT,
    a: same ? `${names.a} (A)` : names.a,
    b: same ? `${names.b} (B)` : names.b,
    bootstrap: boot,
    benchmarks,
    unpairedBenchmarks,
  };
}
