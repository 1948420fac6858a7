/**
 * The sentences a report prints under its tables so each number says what it is and how far to trust it: the
 * run's decoding (greedy or sampled, n, seed), intervals that collapsed to a point, and benchmarks too small
 * for the percentile bootstrap to be trusted.
 */
import type { Interval } from "./bootstrap.js";
import type { RunComparison } from "./compare.js";
import { formatPercent } from "./format-percent.js";
import type { BenchmarkSummary, RunInfo, RunSummary } from "./summarize.js";

/**
 * Below this many problems a report warns that its intervals are wide and too narrow. With 30 problems at 5%
 * (13%) accuracy, one sample each, a nominal 95% percentile-bootstrap interval held the truth in 78% (90%) of
 * 2,000 simulated runs; with 500 problems in 95%.
 */
export const FEW_PROBLEMS = 100;

/** Below this many bootstrap resamples a percentile interval's bounds are a handful of draws, not quantiles. */
export const FEW_RESAMPLES = 200;

/** The note for intervals from too few resamples, or null. */
function fewResamplesNote(resamples: number, where: string): string | null {
  return resamples < FEW_RESAMPLES
    ? `${where}: ${resamples} bootstrap resample${resamples === 1 ? "" : "s"} are too few for its intervals to mean much (a "no CI" may come from that alone); the default is 2,000.`
    : null;
}

/**
 * True when an interval's bounds are equal: every problem scored the same (or there is one problem), so
 * resampling problems shows no spread. Printing it as `[0.0, 0.0]` reads as certainty.
 */
export function isCollapsed(i: Interval): boolean {
  return Number.isFinite(i.lower) && i.lower === i.upper;
}

/** How the samples were drawn, from the run's settings: `greedy (temperature 0)` or `sampled (temperature 0.7, ...)`. */
export function decodingText(run: RunInfo): string {
  const s = run.sampling;
  if (run.replies === true) return "replies read from a file (how they were decoded is not recorded)";
  if (s === undefined) return "decoding settings unknown (no run.json)";
  const t = s.temperature;
  const parts: string[] = [];
  if (typeof t === "number") parts.push(`temperature ${t}`);
  for (const [key, name] of [
    ["topP", "top-p"],
    ["topK", "top-k"],
    ["minP", "min-p"],
    ["repetitionPenalty", "repetition penalty"],
    ["maxNewTokens", "max new tokens"],
  ] as const) {
    if (typeof s[key] === "number") parts.push(`${name} ${s[key]}`);
  }
  const kind = t === 0 ? "greedy" : typeof t === "number" ? "sampled" : "decoding";
  return `${kind} (${parts.join(", ")})`;
}

/** One line per run: its name, decoding, samples per problem and seed. */
export function runSettingsLines(runs: readonly RunSummary[]): string[] {
  return runs.map((r) => {
    const n = r.run.n === undefined ? "" : `, n = ${r.run.n} sample${r.run.n === 1 ? "" : "s"} per problem`;
    const seed = r.run.seed === undefined ? "" : `, seed ${r.run.seed}`;
    return `${r.run.name}: ${decodingText(r.run)}${n}${seed}`;
  });
}

/**
 * The exact (Clopper–Pearson) interval when every problem scored 0 or every one scored 1: the bootstrap
 * collapses there, but [0, 1 − (α/2)^(1/N)] still bounds the mean of any scores in [0, 1] (P(all N are 0) ≤
 * (1 − μ)^N), so it holds for pass@1 of n > 1 samples too.
 */
export function allSameBound(estimate: number, problems: number, level: number): [number, number] | null {
  if (problems < 1) return null;
  const edge = ((1 - level) / 2) ** (1 / problems);
  if (estimate === 0) return [0, 1 - edge];
  if (estimate === 1) return [edge, 1];
  return null;
}

/** Notes for a summary table: greedy runs with n > 1, collapsed intervals, partial runs, small benchmarks. */
export function summaryNotes(runs: readonly RunSummary[]): string[] {
  const notes: string[] = [];
  for (const run of runs) {
    if (run.run.replies !== true && run.run.sampling?.temperature === 0 && (run.run.n ?? 1) > 1) {
      notes.push(
        `${run.run.name}: greedy decoding with n = ${run.run.n}: the samples are identical, so pass@k and maj@k equal pass@1 and say nothing more.`,
      );
    }
  }
  for (const run of runs) {
    const few = fewResamplesNote(run.bootstrap.resamples, run.run.name);
    if (few !== null) notes.push(few);
  }
  const collapsed: string[] = [];
  for (const run of runs) {
    for (const b of run.benchmarks) {
      // The per-subject and per-level tables print "(no CI)" too (a level where no problem was solved).
      const groups = [...(b.bySubject ?? []), ...(b.byLevel ?? [])].map((g) => g.pass1);
      const intervals = [b.pass1, ...Object.values(b.passAtK), ...Object.values(b.majAtK), ...groups];
      if (!intervals.some(isCollapsed)) continue;
      const bound = isCollapsed(b.pass1)
        ? allSameBound(b.pass1.estimate, b.problems, run.bootstrap.level)
        : null;
      const level = levelText(run.bootstrap.level);
      collapsed.push(
        bound === null
          ? `${b.benchmark} (${run.run.name})`
          : `${b.benchmark} (${run.run.name}: ${b.pass1.estimate === 0 ? "no" : "every"} problem solved; the exact ${level}% interval for pass@1 is [${formatPercent(bound[0])}, ${formatPercent(bound[1])}], Clopper–Pearson)`,
      );
    }
  }
  if (collapsed.length > 0) {
    notes.push(
      `"no CI": every problem scored the same (or there is one problem), so resampling problems shows no spread; that is not certainty. In: ${collapsed.join("; ")}.`,
    );
  }
  for (const run of runs) {
    for (const plan of run.run.planned ?? []) {
      const b = run.benchmarks.find((x) => x.benchmark === plan.benchmark);
      const planned = plan.problems * plan.samplesPerProblem;
      const have = b?.samples ?? 0;
      if (have < planned) {
        notes.push(
          `${run.run.name}: ${plan.benchmark} is incomplete: ${have} of its ${planned} samples (${plan.problems} problems × ${plan.samplesPerProblem}; a stopped run, rerun it to finish). Its numbers cover only the samples it has.`,
        );
      }
      if (plan.fileProblems !== undefined && plan.problems < plan.fileProblems) {
        notes.push(
          `${run.run.name}: ${plan.benchmark} covers ${plan.problems} of the ${plan.fileProblems} problems in its file (--limit or problemIds), not the whole benchmark.`,
        );
      }
    }
  }
  const small = new Map<string, BenchmarkSummary>();
  for (const run of runs)
    for (const b of run.benchmarks)
      if (b.problems > 0 && b.problems < FEW_PROBLEMS) small.set(b.benchmark, b);
  for (const b of small.values()) {
    notes.push(
      `${b.benchmark} has only ${b.problems} problem${b.problems === 1 ? "" : "s"}: one problem moves pass@1 by ${formatPercent(1 / b.problems)} points. Its intervals are wide, and a percentile bootstrap over this few problems is too narrow near 0% or 100% (at 30 problems and 5% accuracy a nominal 95% interval holds the truth about 78% of the time).`,
    );
  }
  return notes;
}

/**
 * Notes for a comparison table: what was left out of the pairing (problems or whole benchmarks only one run has)
 * and differences whose interval collapsed.
 */
export function comparisonNotes(cmp: RunComparison): string[] {
  const notes: string[] = [];
  for (const b of cmp.benchmarks) {
    if (b.onlyInA === 0 && b.onlyInB === 0) continue;
    notes.push(
      `${b.benchmark}: compared on the ${b.problems} problems both runs answered; left out ${b.onlyInA} only in ${cmp.a} and ${b.onlyInB} only in ${cmp.b}.`,
    );
  }
  // Comparisons written before unpairedBenchmarks existed lack it.
  const { onlyInA, onlyInB } = cmp.unpairedBenchmarks ?? { onlyInA: [], onlyInB: [] };
  if (onlyInA.length > 0) notes.push(`Not compared (only in ${cmp.a}): ${onlyInA.join(", ")}.`);
  if (onlyInB.length > 0) notes.push(`Not compared (only in ${cmp.b}): ${onlyInB.join(", ")}.`);
  const few = fewResamplesNote(cmp.bootstrap.resamples, `${cmp.b} − ${cmp.a}`);
  if (few !== null) notes.push(few);
  const collapsed = cmp.benchmarks.filter((b) => isCollapsed(b.difference)).map((b) => b.benchmark);
  if (collapsed.length > 0) {
    notes.push(
      `"no CI" (${collapsed.join(", ")}): every paired problem has the same difference (or there is one problem), so resampling problems shows no spread; that is not certainty.`,
    );
  }
  return notes;
}

/**
 * A p-value with 3 significant digits; one that underflowed to 0 (0 vs 2,000 discordant problems: 2^-1999) is
 * `< 1e-300`, not `0.00`, which reads as impossible.
 */
export function formatPValue(p: number): string {
  if (p === 0) return "< 1e-300";
  // Three significant digits, more where rounding would carry a p-value onto or over a level readers test
  // against: 0.04999 is not "0.0500".
  for (let digits = 3; digits < 17; digits++) {
    const text = p.toPrecision(digits);
    const shown = Number(text);
    if (!P_LEVELS.some((level) => p < level && shown >= level)) return text;
  }
  return String(p);
}

/** The significance levels p-values are read against. */
const P_LEVELS = [0.1, 0.05, 0.01, 0.005, 0.001];

/** A coverage level in percent: 95 for 0.95, 97.5 for 0.975 (rounding to an integer printed it as 98). */
export function levelText(level: number): string {
  return String(Math.round(level * 1000) / 10);
}
