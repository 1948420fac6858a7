/** The final table `ssb run` prints, and the JSON object `--json` prints instead. */
import { formatInterval, formatPercent, type Interval, type RunComparison } from "@ssb/eval";
import { counted } from "./counted.js";
import type { PipelineResult } from "./run-pipeline.js";

export function summaryTable(result: PipelineResult): string {
  const rows: [string, string, string][] = [["stage", "seconds", "result"]];
  for (const s of result.stages) {
    const st = s.stats;
    let what = "";
    if (s.stage === "problems") what = `${String(st.train)} train, ${String(st.eval)} held out`;
    if (s.stage === "rollout") what = `${String(st.samples)} samples, ${String(st.tokensPerSecond)} tok/s`;
    if (s.stage === "curate")
      what = `${String(st.kept)} pairs kept, ${String(st.dropped)} of ${String(st.problems)} dropped`;
    if (s.stage === "distill")
      what =
        st.trained === true
          ? `${counted(st.steps, "step")}, loss ${Number(st.lastLoss).toFixed(4)}`
          : "nothing to train";
    if (s.stage === "eval") {
      const [base, student] = accuracies(result);
      what = base
        ? student
          ? `base ${formatInterval(base)} → student ${formatInterval(student)}`
          : `base ${formatInterval(base)}; student not evaluated (nothing trained)`
        : "";
    }
    if (s.stage === "report") what = String(st.html);
    rows.push([s.stage, s.seconds.toFixed(1), what]);
  }
  const total = result.stages.reduce((sum, s) => sum + s.seconds, 0);
  rows.push(["total", total.toFixed(1), ""]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i as 0 | 1].length)));
  const lines = rows.map(([a, b, c]) =>
    `${a.padEnd(widths[0] ?? 0)}  ${b.padStart(widths[1] ?? 0)}  ${c}`.trimEnd(),
  );
  const difference = differenceLine(result.comparison);
  if (difference !== null) lines.push("", difference);
  if (result.student === null)
    lines.push(
      "",
      "student − base: none: nothing was trained (curation kept no pairs), so the student is the base model " +
        "and was not evaluated",
    );
  lines.push(`report: ${result.report.html}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The paired difference. An interval whose bounds are equal (every paired resample gives the same difference:
 * the two runs agree, or differ alike, on every problem) is no 95% interval, and is not called one.
 */
export function differenceLine(comparison: RunComparison | null): string | null {
  const c = comparison?.benchmarks[0];
  if (!c) return null;
  const p = c.mcnemar ? `McNemar p = ${c.mcnemar.pValue.toPrecision(3)}` : "";
  const d = c.difference;
  if (!hasSpread(d))
    return (
      `student − base: ${formatPercent(d.estimate)} points; no 95% paired CI (every resample of the problems ` +
      `gives the same difference)${p ? `; ${p}` : ""}`
    );
  return `student − base: ${formatInterval(d)} points, 95% paired CI${p ? ` (${p})` : ""}`;
}

/** Whether a paired interval has spread: equal finite bounds are no 95% interval (see differenceLine). */
function hasSpread(d: Interval): boolean {
  return !(Number.isFinite(d.lower) && d.lower === d.upper);
}

/**
 * The paired difference as `--json` gives it: without spread, bounds null and `noInterval` saying why, as the
 * table says "no 95% paired CI" (bounds equal to the estimate read as a real zero-width interval to a script).
 */
export function differenceJson(d: Interval): Interval | (Omit<Interval, "lower" | "upper"> & NoInterval) {
  if (hasSpread(d)) return d;
  return {
    ...d,
    lower: null,
    upper: null,
    noInterval: "every resample of the problems gives the same difference",
  };
}

interface NoInterval {
  lower: null;
  upper: null;
  noInterval: string;
}

/**
 * Each run's pass@1 with its own bootstrap interval, from the runs' summaries, as the report and
 * eval/stage.json give them (the comparison resamples the two runs together, so its per-run intervals
 * differ from these in the last digit).
 */
function accuracies(result: PipelineResult): [Interval | undefined, Interval | undefined] {
  return [result.base.benchmarks[0]?.pass1, result.student?.benchmarks[0]?.pass1];
}

export function summaryJson(result: PipelineResult): Record<string, unknown> {
  const c = result.comparison?.benchmarks[0];
  const [base, student] = accuracies(result);
  const b = result.base.benchmarks[0];
  return {
    workDir: result.workDir,
    ran: result.ran,
    stages: result.stages.map((s) => ({
      stage: s.stage,
      seconds: s.seconds,
      resumed: s.resumed,
      stats: s.stats,
    })),
    accuracy: c
      ? {
          problems: c.problems,
          base,
          student,
          difference: differenceJson(c.difference),
          mcnemar: c.mcnemar,
          wins: c.wins,
          losses: c.losses,
          ties: c.ties,
        }
      : b
        ? // Nothing trained: the base alone (the student is the base model and was not evaluated).
          { problems: b.problems, base, student: null, studentSkipped: "nothing was trained" }
        : null,
    curation: {
      problems: result.curation.problems,
      selected: result.curation.selected,
      kept: result.curation.kept,
      dropped: result.curation.dropped,
    },
    report: result.report,
  };
}
