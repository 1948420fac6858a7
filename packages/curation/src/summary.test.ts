import { describe, expect, it } from "vitest";
import type { DropRecord, PairRecord, TeacherPromptRecord } from "./pair-record.js";
import type { ChosenWrong } from "./select-pair.js";
import { formatSummaryTable, numberStats, summarize } from "./summary.js";

const wrong = (count: number, groups: number, rule: ChosenWrong["rule"]): ChosenWrong => ({
  sampleIndex: 1,
  answer: "5",
  extracted: "5",
  count,
  groups,
  tiedGroups: 1,
  rule,
  policy: "first",
  answers: [],
});
const counts = { total: 4, correct: 2, wrong: 2, noAnswer: 0 };
const pair = (id: string, tokens: number, attempt: number, w: ChosenWrong): PairRecord =>
  ({
    problemId: id,
    response: "x".repeat(tokens * 2),
    responseTokenIds: Array.from({ length: tokens }, () => 1),
    teacherAttempt: attempt,
    chosenWrong: w,
    rolloutCounts: counts,
  }) as PairRecord;

describe("summarize", () => {
  it("counts kept and dropped by reason, diversity and reply lengths", () => {
    const pairs = [pair("a", 10, 1, wrong(2, 1, "majority")), pair("b", 30, 2, wrong(1, 3, "tie-seeded"))];
    const drops: DropRecord[] = [
      { problemId: "c", stage: "selection", reason: "all-correct", detail: "", rolloutCounts: counts },
      { problemId: "d", stage: "selection", reason: "all-correct", detail: "", rolloutCounts: counts },
      {
        problemId: "e",
        stage: "teacher",
        reason: "teacher-wrong-answer",
        detail: "",
        rolloutCounts: counts,
        chosenWrong: wrong(1, 2, "random-no-majority"),
      },
    ];
    const s = summarize({ mode: "teacher", pairs, drops, prompts: [] });
    expect(s.problems).toBe(5);
    expect(s.selected).toBe(3);
    expect(s.kept).toBe(2);
    expect(s.dropped).toEqual({ total: 3, byReason: { "all-correct": 2, "teacher-wrong-answer": 1 } });
    expect(s.rollouts).toEqual({ total: 20, correct: 10, wrong: 10, noAnswer: 0 });
    expect(s.answerDiversity.clearMajority).toBe(1);
    expect(s.answerDiversity.tieBroken).toBe(1);
    expect(s.answerDiversity.singleWrong).toBe(0);
    expect(s.answerDiversity.randomNoMajority).toBe(1);
    expect(s.answerDiversity.wrongGroups).toEqual({ count: 3, min: 1, median: 2, mean: 2, max: 3 });
    expect(s.replyLengths?.tokens).toEqual({ count: 2, min: 10, median: 20, mean: 20, max: 30 });
    expect(s.teacherAttempts).toEqual({ "1": 1, "2": 1 });
    const table = formatSummaryTable(s);
    expect(table).toMatch(/kept \(pairs written\)\s+2 {2}\(40\.0%\)/);
    expect(table).toMatch(/ {2}all-correct\s+2/);
    expect(table).toMatch(/reply tokens\s+min 10 {2}median 20/);
  });

  it("selection mode counts prompts as selected and has no reply lengths", () => {
    const prompts = [
      { problemId: "a", chosenWrong: wrong(2, 1, "majority"), rolloutCounts: counts },
    ] as TeacherPromptRecord[];
    const drops: DropRecord[] = [
      { problemId: "b", stage: "selection", reason: "no-answers", detail: "", rolloutCounts: counts },
    ];
    const s = summarize({ mode: "selection", prompts, drops, pairs: [] });
    expect(s).toMatchObject({
      problems: 2,
      selected: 1,
      kept: null,
      replyLengths: null,
      teacherAttempts: null,
    });
    expect(formatSummaryTable(s)).not.toMatch(/reply/);
  });

  it("numberStats handles empty and even-length inputs", () => {
    expect(numberStats([])).toEqual({ count: 0, min: 0, median: 0, mean: 0, max: 0 });
    expect(numberStats([4, 1, 3, 2])).toEqual({ count: 4, min: 1, median: 2.5, mean: 2.5, max: 4 });
  });
});
