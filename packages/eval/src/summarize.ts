/**
 * From graded records to the numbers a report shows: per benchmark pass@1 (mean over samples), unbiased pass@k,
 * maj@k, each with a 95% bootstrap CI over problems; per subject and level where the benchmark has them; response
 * length and truncation. Everything is a function of the records and the options, so a summary recomputed later
 * (or after a resume) is identical.
 */
import { type EquivalenceOptions, isEquivalent } from "@ssb/verifier";
import {
  type BootstrapOptions,
  bootstrapMeanCI,
  checkBootstrapOptions,
  type Interval,
  mean,
  quantileSorted,
} from "./bootstrap.js";
import { maxOf, minOf } from "./extrema.js";
import { classScores, majAtK, voteClasses } from "./majority-vote.js";
import { defaultKs, passAtK } from "./pass-at-k.js";
import { rngFor } from "./prng.js";
import type { SampleRecord } from "./types.js";

export const SUMMARY_FORMAT = "ssb-eval-summary/1";

export interface GroupSummary {
  group: string;
  problems: number;
  pass1: Interval;
}

export interface LengthSummary {
  mean: number;
  median: number;
  p90: number;
  max: number;
  /** Histogram of generated tokens: counts[i] covers [edges[i], edges[i+1]); the last bin includes its end. */
  histogram: { edges: number[]; counts: number[] };
}

export interface BenchmarkSummary {
  benchmark: string;
  problems: number;
  /** Samples per problem (the smallest count over problems when a run is incomplete). */
  samplesPerProblem: number;
  samples: number;
  pass1: Interval;
  /** Keyed by k. pass@1 here equals `pass1`. */
  passAtK: Record<string, Interval>;
  majAtK: Record<string, Interval>;
  /** Share of samples with no extractable final answer. */
  noAnswerRate: number;
  /** Share of samples that hit the token budget (finishReason "length"). */
  truncationRate: number;
  length: LengthSummary;
  bySubject?: GroupSummary[];
  byLevel?: GroupSummary[];
}

export interface RunInfo {
  /** Display name of the run (e.g. the output folder's name or the model). */
  name: string;
  modelId?: string;
  n?: number;
  sampling?: Record<string, unknown>;
  seed?: number;
  /** Where the samples were generated (run.json's executionProviders), in the order runs used them. */
  executionProviders?: string[];
  /**
   * What the run set out to cover, per benchmark: its problems (after `limit` / `problemIds`), samples per
   * problem, and the problems in the benchmark's file when known. Reports say when the records cover less (a
   * stopped run) or the problems are a subset of the file (`--limit`).
   */
  planned?: PlannedBenchmark[];
  /**
   * The texts were read from a replies file (generated elsewhere): `sampling` is this run's setting, not how
   * they were decoded, so reports do not call them greedy or sampled.
   */
  replies?: boolean;
}

export interface PlannedBenchmark {
  benchmark: string;
  problems: number;
  samplesPerProblem: number;
  fileProblems?: number;
}

export interface RunSummary {
  format: typeof SUMMARY_FORMAT;
  run: RunInfo;
  bootstrap: { resamples: number; level: number; seed: number };
  benchmarks: BenchmarkSummary[];
}

export interface SummarizeOptions {
  /** Bootstrap settings. Defaults: 2,000 resamples, 95%, seed 0. */
  bootstrap?: Omit<BootstrapOptions, "label">;
  /**
   * Which k to report for pass@k and maj@k. Default: 1, 2, 4, ... and n. Each must be a positive integer no
   * larger than the benchmark's samples per problem; a larger k is refused (it used to be dropped silently, so
   * a report lacked a column nobody was told about).
   */
  ks?: readonly number[];
  /** Upper end of the length histogram (e.g. the token budget), or the longest response when that is longer. */
  maxTokens?: number;
  /** Histogram bins. Default 20. */
  bins?: number;
  /** Answer equivalence for maj@k classes. Default: the verifier's isEquivalent with `equivalence`. */
  equivalent?: (a: string, b: string) => boolean;
  /**
   * The grading settings the records were graded with (tolerances, percentAsFraction), so maj@k groups answers
   * as the grader compared them. Ignored when `equivalent` is given.
   */
  equivalence?: EquivalenceOptions;
}

/** Records grouped by benchmark, then by problem, each problem's samples sorted by index; first-seen order. */
export function groupRecords(records: readonly SampleRecord[]): Map<string, Map<string, SampleRecord[]>> {
  const out = new Map<string, Map<string, SampleRecord[]>>();
  for (const r of records) {
    let byProblem = out.get(r.benchmark);
    if (byProblem === undefined) {
      byProblem = new Map();
      out.set(r.benchmark, byProblem);
    }
    const list = byProblem.get(r.problemId);
    if (list === undefined) byProblem.set(r.problemId, [r]);
    else list.push(r);
  }
  for (const byProblem of out.values())
    for (const list of byProblem.values()) list.sort((a, b) => a.sampleIndex - b.sampleIndex);
  return out;
}

/** The smallest 1, 2 or 5 × 10^k (integer, at least 1) not below `raw`, so bin edges are round numbers. */
export function niceWidth(raw: number): number {
  if (!(raw > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function histogram(
  values: readonly number[],
  upper: number,
  bins: number,
): { edges: number[]; counts: number[] } {
  const top = Math.max(1, upper);
  const width = niceWidth(top / bins);
  const used = Math.max(1, Math.ceil(top / width));
  const edges = Array.from({ length: used + 1 }, (_, i) => i * width);
  const counts = new Array<number>(used).fill(0);
  for (const v of values) {
    const bin = Math.min(used - 1, Math.max(0, Math.floor(v / width)));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return { edges, counts };
}

function lengthSummary(tokens: readonly number[], upper: number, bins: number): LengthSummary {
  const sorted = [...tokens].sort((a, b) => a - b);
  return {
    mean: mean(sorted),
    median: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    max: sorted[sorted.length - 1] ?? 0,
    histogram: histogram(sorted, upper, bins),
  };
}

function groupSummaries(
  problems: readonly SampleRecord[][],
  key: (r: SampleRecord) => string | undefined,
  boot: Omit<BootstrapOptions, "label">,
  label: string,
): GroupSummary[] | undefined {
  const groups = new Map<string, number[]>();
  for (const samples of problems) {
    const first = samples[0];
    const g = first === undefined ? undefined : key(first);
    if (g === undefined) return undefined;
    const list = groups.get(g) ?? [];
    list.push(mean(samples.map((s) => (s.correct ? 1 : 0))));
    groups.set(g, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([group, values]) => ({
      group,
      problems: values.length,
      pass1: bootstrapMeanCI(values, { ...boot, label: `${label}:${group}` }),
    }));
}

/** The requested ks, refused with a message naming the entry when one is not a usable k for n samples. */
function checkKs(ks: readonly unknown[], benchmark: string, n: number, haveProblems: boolean): number[] {
  if (!Array.isArray(ks)) throw new TypeError("summarize: options.ks must be an array of positive integers");
  for (const [i, k] of ks.entries()) {
    if (typeof k !== "number" || !Number.isSafeInteger(k) || k < 1) {
      const shown = typeof k === "number" ? String(k) : `${typeof k} ${JSON.stringify(k) ?? String(k)}`;
      throw new RangeError(`summarize: options.ks[${i}] must be a positive integer number (got ${shown})`);
    }
    if (haveProblems && k > n) {
      throw new RangeError(
        `summarize: options.ks[${i}] = ${k} exceeds the ${n} samples per problem of benchmark ${JSON.stringify(benchmark)} (the fewest any problem has); pass ks no larger than ${n}`,
      );
    }
  }
  return ks as number[];
}

/** Summary of one benchmark's problems (each a list of its samples, sorted by index). */
export function summarizeBenchmark(
  benchmark: string,
  problems: readonly SampleRecord[][],
  options: SummarizeOptions = {},
): BenchmarkSummary {
  checkBootstrapOptions("summarizeBenchmark: options.bootstrap", options.bootstrap ?? {});
  const boot = { resamples: 2000, level: 0.95, seed: 0, ...options.bootstrap };
  const equivalence = options.equivalence ?? {};
  const equivalent = options.equivalent ?? ((a: string, b: string) => isEquivalent(a, b, equivalence));
  const all = problems.flat();
  const n = problems.length === 0 ? 0 : minOf(problems.map((p) => p.length));
  const ks = options.ks === undefined ? defaultKs(n) : checkKs(options.ks, benchmark, n, problems.length > 0);
  const label = (what: string) => `${benchmark}:${what}`;

  const pass1Values = problems.map((samples) => mean(samples.map((s) => (s.correct ? 1 : 0))));
  const pass1 = bootstrapMeanCI(pass1Values, { ...boot, label: label("pass@1") });

  const passAtKOut: Record<string, Interval> = {};
  for (const k of ks) {
    const values = problems.map((s) => passAtK(s.length, s.filter((x) => x.correct).length, k));
    passAtKOut[String(k)] = k === 1 ? pass1 : bootstrapMeanCI(values, { ...boot, label: label(`pass@${k}`) });
  }

  // Vote classes are formed once per problem over all its samples. Each class is judged by its records' own
  // verdicts, not re-judged against the gold: the grader may have marked an answer wrong that equals the gold
  // (hedging), and re-judging made maj@1 disagree with pass@1.
  const votes = problems.map((samples) => {
    const classes = voteClasses(
      samples.map((s) => s.extracted ?? null),
      equivalent,
    );
    const classCorrect = classScores(
      classes.classOf,
      samples.map((s) => s.correct === true),
      classes.representatives.length,
    );
    return { classOf: classes.classOf, classCorrect, problemId: samples[0]?.problemId ?? "" };
  });
  const majOut: Record<string, Interval> = {};
  for (const k of ks) {
    const values = votes.map((v) =>
      majAtK(v.classOf, v.classCorrect, k, {
        rng: rngFor(boot.seed, "maj", benchmark, v.problemId, String(k)),
      }),
    );
    // maj@1 is pass@1 (a one-sample vote returns that sample): it gets pass@1's interval, as pass@1 does in
    // passAtK. Resampled with its own seed stream it showed another interval for the same number in the same
    // table (3 problems, 1 right: pass@1 33.3 [0.0, 84.2] beside maj@1 33.3 [0.0, 66.7]).
    const sameAsPass1 =
      k === 1 && values.every((v, i) => Math.abs(v - (pass1Values[i] ?? Number.NaN)) < 1e-12);
    majOut[String(k)] = sameAsPass1 ? pass1 : bootstrapMeanCI(values, { ...boot, label: label(`maj@${k}`) });
  }

  const tokens = all.map((r) => r.tokens);
  // The budget, or the longest reply when one is longer (replies read from a file were never held to it): past
  // the top edge a reply was counted in the last bin, under a label it did not fit.
  const upper = Math.max(options.maxTokens ?? 1, maxOf(tokens));
  const summary: BenchmarkSummary = {
    benchmark,
    problems: problems.length,
    samplesPerProblem: n,
    samples: all.length,
    pass1,
    passAtK: passAtKOut,
    majAtK: majOut,
    noAnswerRate: mean(all.map((r) => (r.extracted === null || r.extracted === undefined ? 1 : 0))),
    truncationRate: mean(all.map((r) => (r.finishReason === "length" ? 1 : 0))),
    length: lengthSummary(tokens, upper, options.bins ?? 20),
  };
  const bySubject = groupSummaries(problems, (r) => r.subject, boot, label("subject"));
  if (bySubject !== undefined) summary.bySubject = bySubject;
  const byLevel = groupSummaries(
    problems,
    (r) => (r.level === undefined ? undefined : String(r.level)),
    boot,
    label("level"),
  );
  if (byLevel !== undefined) summary.byLevel = byLevel;
  return summary;
}

/** Summary of a whole run's records. */
export function summarizeRecords(
  records: readonly SampleRecord[],
  run: RunInfo,
  options: SummarizeOptions = {},
): RunSummary {
  checkBootstrapOptions("summarizeRecords: options.bootstrap", options.bootstrap ?? {});
  const boot = { resamples: 2000, level: 0.95, seed: 0, ...options.bootstrap };
  const grouped = groupRecords(records);
  const benchmarks = [...grouped.entries()].map(([benchmark, byProblem]) =>
    summarizeBenchmark(benchmark, [...byProblem.values()], { ...options, bootstrap: boot }),
  );
  return { format: SUMMARY_FORMAT, run, bootstrap: boot, benchmarks };
}
