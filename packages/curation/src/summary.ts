/**
 * Run summary: how many problems were kept, why the others were dropped, how diverse the wrong answers were
 * and how long the teacher replies are. Computed from the output files themselves, so it is right after a
 * resume too.
 */
import type { DropRecord, PairRecord, TeacherPromptRecord } from "./pair-record.js";
import type { RolloutCounts } from "./select-pair.js";

export interface NumberStats {
  count: number;
  min: number;
  median: number;
  mean: number;
  max: number;
}

export interface CurationSummary {
  /** "teacher": pairs were generated; "selection": only teacher prompts were written. */
  mode: "teacher" | "selection";
  problems: number;
  /** Problems that passed selection (got a teacher prompt). */
  selected: number;
  /** Pairs written (teacher mode) — null in selection mode. */
  kept: number | null;
  dropped: { total: number; byReason: Record<string, number> };
  rollouts: RolloutCounts;
  answerDiversity: {
    /** Distinct wrong answers (equivalence groups) per selected problem. */
    wrongGroups: NumberStats;
    /** Rollouts sharing the chosen wrong answer. */
    chosenWrongCount: NumberStats;
    /** Selected problems whose chosen wrong answer was a strict majority among wrong groups (no tie, count > 1). */
    clearMajority: number;
    /** Selected problems with a single wrong rollout (nothing to choose between). */
    singleWrong: number;
    /** Selected problems where the top wrong count was tied and a tie-break decided. */
    tieBroken: number;
    /** Selected problems where every wrong answer was unique and one was picked at random (reference rule). */
    randomNoMajority: number;
  };
  replyLengths: { tokens: NumberStats; chars: NumberStats } | null;
  /** How many pairs needed 1, 2, ... teacher tries. */
  teacherAttempts: Record<string, number> | null;
}

/**
 * Count, min, median, mean and max. No values gives count 0 and zeros, not NaN: summary.json must stay plain
 * JSON numbers (NaN would be written as null) and its readers (the cli report) print these fields as
 * numbers; `count: 0` is what says there was nothing to measure.
 */
export function numberStats(values: readonly number[]): NumberStats {
  if (values.length === 0) return { count: 0, min: 0, median: 0, mean: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { count: sorted.length, min: sorted[0]!, median, mean, max: sorted[sorted.length - 1]! };
}

export interface SummaryInput {
  mode: "teacher" | "selection";
  prompts: readonly TeacherPromptRecord[];
  drops: readonly DropRecord[];
  pairs: readonly PairRecord[];
}

export function summarize(input: SummaryInput): CurationSummary {
  const { mode, prompts, drops, pairs } = input;
  const relevantDrops = mode === "teacher" ? drops : drops.filter((d) => d.stage === "selection");
  const byReason: Record<string, number> = {};
  for (const d of relevantDrops) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;

  const rollouts: RolloutCounts = { total: 0, correct: 0, wrong: 0, noAnswer: 0 };
  const finished: { rolloutCounts: RolloutCounts }[] =
    mode === "teacher" ? [...pairs, ...relevantDrops] : [...prompts, ...relevantDrops];
  for (const r of finished) {
    rollouts.total += r.rolloutCounts.total;
    rollouts.correct += r.rolloutCounts.correct;
    rollouts.wrong += r.rolloutCounts.wrong;
    rollouts.noAnswer += r.rolloutCounts.noAnswer;
  }

  // Selected problems: in teacher mode those that reached the teacher (pairs + teacher-stage drops).
  const chosen =
    mode === "teacher"
      ? [
          ...pairs.map((p) => p.chosenWrong),
          ...relevantDrops.flatMap((d) => (d.chosenWrong ? [d.chosenWrong] : [])),
        ]
      : prompts.map((p) => p.chosenWrong);
  const diversity = {
    wrongGroups: numberStats(chosen.map((c) => c.groups)),
    chosenWrongCount: numberStats(chosen.map((c) => c.count)),
    clearMajority: chosen.filter((c) => c.rule === "majority" && c.count > 1).length,
    singleWrong: chosen.filter((c) => c.rule === "majority" && c.count === 1).length,
    tieBroken: chosen.filter((c) => c.rule === "tie-seeded" || c.rule === "tie-first").length,
    randomNoMajority: chosen.filter((c) => c.rule === "random-no-majority").length,
  };

  let replyLengths: CurationSummary["replyLengths"] = null;
  let teacherAttempts: CurationSummary["teacherAttempts"] = null;
  if (mode === "teacher") {
    replyLengths = {
      tokens: numberStats(pairs.map((p) => p.responseTokenIds.length)),
      chars: numberStats(pairs.map((p) => p.response.length)),
    };
    teacherAttempts = {};
    for (const p of pairs)
      teacherAttempts[String(p.teacherAttempt)] = (teacherAttempts[String(p.teacherAttempt)] ?? 0) + 1;
  }

  return {
    mode,
    problems: finished.length,
    selected: chosen.length,
    kept: mode === "teacher" ? pairs.length : null,
    dropped: { total: relevantDrops.length, byReason },
    rollouts,
    answerDiversity: diversity,
    replyLengths,
    teacherAttempts,
  };
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const pct = (n: number, d: number): string => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`);
const statsLine = (s: NumberStats): string =>
  s.count === 0 ? "-" : `min ${fmt(s.min)}  median ${fmt(s.median)}  mean ${fmt(s.mean)}  max ${fmt(s.max)}`;

/** A short fixed-width table for terminals and logs. */
export function formatSummaryTable(s: CurationSummary): string {
  const rows: [string, string][] = [];
  rows.push(["problems", String(s.problems)]);
  rows.push(["selected (mixed right/wrong)", `${s.selected}  (${pct(s.selected, s.problems)})`]);
  if (s.kept !== null) rows.push(["kept (pairs written)", `${s.kept}  (${pct(s.kept, s.problems)})`]);
  rows.push(["dropped", String(s.dropped.total)]);
  for (const [reason, n] of Object.entries(s.dropped.byReason).sort((a, b) => b[1] - a[1])) {
    rows.push([`  ${reason}`, String(n)]);
  }
  rows.push([
    "rollouts",
    `${s.rollouts.total}: ${s.rollouts.correct} correct, ${s.rollouts.wrong} wrong, ${s.rollouts.noAnswer} no-answer`,
  ]);
  const d = s.answerDiversity;
  rows.push(["wrong answers / problem", statsLine(d.wrongGroups)]);
  rows.push(["chosen wrong answer count", statsLine(d.chosenWrongCount)]);
  rows.push([
    "wrong pick rule",
    `clear majority ${d.clearMajority}, single wrong ${d.singleWrong}, tie-broken ${d.tieBroken}, ` +
      `random (no majority) ${d.randomNoMajority}`,
  ]);
  if (s.replyLengths) {
    rows.push(["reply tokens", statsLine(s.replyLengths.tokens)]);
    rows.push(["reply chars", statsLine(s.replyLengths.chars)]);
  }
  if (s.teacherAttempts) {
    const a = Object.entries(s.teacherAttempts)
      .map(([k, v]) => `${v} on try ${k}`)
      .join(", ");
    rows.push(["teacher tries", a || "-"]);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
