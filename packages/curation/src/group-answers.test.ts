import { expect, it } from "vitest";
import { groupByEquivalence } from "./group-answers.js";
import { groupRewards } from "./group-rewards.js";
import { verifierEquivalence, verifierGrader } from "./verifier-defaults.js";

it("majority vote over groupRewards' extracted answers, any item shape", () => {
  const texts = ["\\boxed{18}", "\\boxed{18.0}", "\\boxed{9}", "no answer", "\\boxed{9.00}", "\\boxed{9}"];
  const { extracted } = groupRewards(texts, "18", verifierGrader);
  const answered = extracted.flatMap((answer, index) => (answer === null ? [] : [{ answer, index }]));
  const groups = groupByEquivalence(answered, (x) => x.answer, verifierEquivalence);
  expect(groups.map((g) => [g.answer, g.members.map((m) => m.index)])).toEqual([
    ["18", [0, 1]],
    ["9", [2, 4, 5]],
  ]);
});

it("refuses an answer that is not a string, naming the item, instead of grouping the nulls", () => {
  expect(() => groupByEquivalence(["18", null], (x) => x as string, verifierEquivalence)).toThrow(
    /groupByEquivalence: the answer of items\[1\] must be a string, found null \(leave out replies without an answer\)/,
  );
  expect(() => groupByEquivalence<string>("18" as never, (x) => x, verifierEquivalence)).toThrow(
    /groupByEquivalence: items must be an array, found the string "18"/,
  );
});
