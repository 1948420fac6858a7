import { describe, expect, it } from "vitest";
import { fakeEquivalence, fakeGrader, rollout, rollouts } from "../test/fakes.js";
import { gradeRollouts } from "./grade-rollouts.js";
import { type SelectionOptions, selectPair } from "./select-pair.js";

const opts: SelectionOptions = { equivalence: fakeEquivalence };
const select = (id: string, answers: (string | null)[], gold: string, o: Partial<SelectionOptions> = {}) =>
  selectPair(id, gradeRollouts(rollouts(id, answers), gold, fakeGrader), { ...opts, ...o });

describe("selectPair", () => {
  it("keeps a mixed group: first correct, majority wrong", () => {
    const r = select("q", ["7", "5", "3", "7", "5", "5"], "7");
    expect(r.kind).toBe("selected");
    if (r.kind !== "selected") return;
    expect(r.chosenCorrect).toEqual({ sampleIndex: 0, extracted: "7", policy: "first", candidates: 2 });
    expect(r.chosenWrong.answer).toBe("5");
    expect(r.chosenWrong.count).toBe(3);
    expect(r.chosenWrong.sampleIndex).toBe(1);
    expect(r.chosenWrong.rule).toBe("majority");
    expect(r.chosenWrong.answers).toEqual([
      { answer: "5", count: 3 },
      { answer: "3", count: 1 },
    ]);
    expect(r.counts).toEqual({ total: 6, correct: 2, wrong: 4, noAnswer: 0 });
  });

  it("drops all-correct, all-wrong and no-answer groups with the reason", () => {
    expect(select("a", ["7", "7.0", "7"], "7")).toMatchObject({ kind: "dropped", reason: "all-correct" });
    expect(select("b", ["1", "2", null], "7")).toMatchObject({ kind: "dropped", reason: "all-wrong" });
    expect(select("c", [null, null], "7")).toMatchObject({ kind: "dropped", reason: "no-answers" });
    expect(select("d", [], "7")).toMatchObject({ kind: "dropped", reason: "no-rollouts" });
  });

  it("treats unboxed and truncated rollouts as no-answer, never wrong", () => {
    const rs = [
      rollout("t", 0, "7"),
      rollout("t", 1, null),
      { ...rollout("t", 2, "9"), finishReason: "length" as const },
    ];
    const graded = gradeRollouts(rs, "7", fakeGrader);
    expect(graded.map((g) => g.verdict)).toEqual(["correct", "no-answer", "no-answer"]);
    expect(graded[2]!.reason).toMatch(/truncated/);
    // Only one real answer (correct) remains: the problem is all-correct, not mixed.
    expect(selectPair("t", graded, opts)).toMatchObject({ kind: "dropped", reason: "all-correct" });
    const asWrong = gradeRollouts(rs, "7", fakeGrader, { truncatedIsNoAnswer: false });
    expect(asWrong[2]!.verdict).toBe("wrong");
  });

  it("merges equivalent wrong answers (18.00 and 18) into one group", () => {
    const r = select("e", ["20", "18.00", "19", "18", "20.0", "18"], "20");
    expect(r.kind).toBe("selected");
    if (r.kind !== "selected") return;
    expect(r.chosenWrong.answer).toBe("18.00");
    expect(r.chosenWrong.count).toBe(3);
    expect(r.chosenWrong.groups).toBe(2);
    expect(r.chosenWrong.tiedGroups).toBe(1);
    expect(r.counts.correct).toBe(2);
  });

  it("breaks ties by seed: same seed same choice, some seed changes it", () => {
    const answers = ["1", "2", "3", "2", "3", "4", "4"];
    const pick = (seed: number) => {
      const r = select("tie", answers, "1", { seed });
      if (r.kind !== "selected") throw new Error("expected a selection");
      expect(r.chosenWrong.tiedGroups).toBe(3);
      expect(r.chosenWrong.rule).toBe("tie-seeded");
      return r.chosenWrong.answer;
    };
    expect(pick(42)).toBe(pick(42));
    const seen = new Set(Array.from({ length: 20 }, (_, s) => pick(s)));
    expect(seen.size).toBeGreaterThan(1);
    for (const a of seen) expect(["2", "3", "4"]).toContain(a);
    // "first" tie-break takes the earliest-seen answer, independent of the seed.
    const first = select("tie", answers, "1", { tieBreak: "first", seed: 9 });
    expect(first).toMatchObject({ kind: "selected", chosenWrong: { answer: "2", rule: "tie-first" } });
  });

  it("the choice for a problem depends on its id, not on other problems", () => {
    const answers = ["1", "2", "3", "4"];
    const a = select("x", answers, "1", { seed: 3 });
    const b = select("x", answers, "1", { seed: 3 });
    expect(a).toEqual(b);
  });

  it("requireMajorityCountAboveOne: random (seeded) when every wrong answer is unique, or drop", () => {
    const answers = ["1", "2", "3", "4", "5"];
    const r = select("m", answers, "1", { requireMajorityCountAboveOne: true, seed: 1 });
    expect(r).toMatchObject({ kind: "selected", chosenWrong: { rule: "random-no-majority", count: 1 } });
    expect(select("m", answers, "1", { requireMajorityCountAboveOne: true, seed: 1 })).toEqual(r);
    const picks = new Set(
      Array.from({ length: 20 }, (_, s) => {
        const x = select("m", answers, "1", { requireMajorityCountAboveOne: true, seed: s });
        return x.kind === "selected" ? x.chosenWrong.answer : "";
      }),
    );
    expect(picks.size).toBeGreaterThan(1);
    expect(
      select("m", answers, "1", { requireMajorityCountAboveOne: true, whenNoMajority: "drop" }),
    ).toMatchObject({ kind: "dropped", reason: "no-majority-wrong" });
    // With a real majority the rule changes nothing.
    const maj = select("m2", ["1", "2", "2", "3"], "1", { requireMajorityCountAboveOne: true });
    expect(maj).toMatchObject({ kind: "selected", chosenWrong: { answer: "2", rule: "majority" } });
  });

  it("correct choice: first, shortest, seeded random", () => {
    const rs = [
      rollout("c", 0, "7", " long long long"),
      rollout("c", 1, "7"),
      rollout("c", 2, "7", " mid"),
      rollout("c", 3, "8"),
    ];
    const graded = gradeRollouts(rs, "7", fakeGrader);
    const first = selectPair("c", graded, { ...opts, correctChoice: "first" });
    const shortest = selectPair("c", graded, { ...opts, correctChoice: "shortest" });
    expect(first.kind === "selected" && first.chosenCorrect.sampleIndex).toBe(0);
    expect(shortest.kind === "selected" && shortest.chosenCorrect.sampleIndex).toBe(1);
    const randoms = new Set(
      Array.from({ length: 20 }, (_, seed) => {
        const r = selectPair("c", graded, { ...opts, correctChoice: "random", seed });
        return r.kind === "selected" ? r.chosenCorrect.sampleIndex : -1;
      }),
    );
    expect(randoms.size).toBeGreaterThan(1);
    const again = selectPair("c", graded, { ...opts, correctChoice: "random", seed: 5 });
    expect(selectPair("c", graded, { ...opts, correctChoice: "random", seed: 5 })).toEqual(again);
  });

  it("considers rollouts in sampleIndex order whatever the input order", () => {
    const rs = rollouts("o", ["7", "5", "5", "7"]);
    const a = selectPair("o", gradeRollouts(rs, "7", fakeGrader), opts);
    const b = selectPair("o", gradeRollouts([...rs].reverse(), "7", fakeGrader), opts);
    expect(b).toEqual(a);
  });

  it("applies minCorrect / minWrong thresholds", () => {
    expect(select("th", ["7", "5", "5"], "7", { minCorrect: 2 })).toMatchObject({
      reason: "too-few-correct",
    });
    expect(select("th", ["7", "7", "5"], "7", { minWrong: 2 })).toMatchObject({ reason: "too-few-wrong" });
  });
});
