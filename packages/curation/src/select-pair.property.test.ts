import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fakeEquivalence, fakeGrader, rollout } from "../test/fakes.js";
import { gradeRollouts } from "./grade-rollouts.js";
import { selectPair } from "./select-pair.js";

// Answers drawn from a small pool with equivalent spellings, so groups merge and ties are common.
const answer = fc.constantFrom("1", "1.0", "2", "2.00", "3", "4", null);
const group = fc.array(answer, { minLength: 0, maxLength: 10 });

describe("selectPair properties", () => {
  it("keeps exactly the mixed groups, picks a correct and a most-common wrong answer, and ignores input order", () => {
    fc.assert(
      fc.property(group, fc.integer({ min: 0, max: 1000 }), fc.boolean(), (answers, seed, reverse) => {
        const rs = answers.map((a, i) => rollout("p", i, a));
        const graded = gradeRollouts(reverse ? [...rs].reverse() : rs, "1", fakeGrader);
        const r = selectPair("p", graded, { equivalence: fakeEquivalence, seed, correctChoice: "random" });
        const again = selectPair("p", gradeRollouts(rs, "1", fakeGrader), {
          equivalence: fakeEquivalence,
          seed,
          correctChoice: "random",
        });
        expect(r).toEqual(again);
        const correct = answers.filter((a) => a !== null && Number(a) === 1).length;
        const wrong = answers.filter((a) => a !== null && Number(a) !== 1);
        expect(r.kind === "selected").toBe(correct > 0 && wrong.length > 0);
        if (r.kind !== "selected") return;
        expect(r.correct.verdict).toBe("correct");
        expect(r.wrong.verdict).toBe("wrong");
        const sizes = new Map<number, number>();
        for (const w of wrong) sizes.set(Number(w), (sizes.get(Number(w)) ?? 0) + 1);
        expect(r.chosenWrong.count).toBe(Math.max(...sizes.values()));
        expect(r.chosenWrong.groups).toBe(sizes.size);
        expect(sizes.get(Number(r.chosenWrong.answer))).toBe(r.chosenWrong.count);
        expect(Number(r.wrong.extracted)).toBe(Number(r.chosenWrong.answer));
      }),
      { numRuns: 300, seed: 20261127 },
    );
  });
});
