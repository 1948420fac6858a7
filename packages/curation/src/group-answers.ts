/**
 * Groups items by answer equivalence. Equivalence checks are not guaranteed transitive (numeric tolerance,
 * symbolic simplification), so groups are defined by their first member: an item joins the first group whose
 * representative it is equivalent to, otherwise it starts a new group. This is deterministic given the input
 * order and costs O(items x groups) equivalence calls.
 */
import type { AnswerEquivalence } from "./grader.js";
import { describe } from "./parse-records.js";

export interface AnswerGroup<T> {
  /** The answer of the group's first member: the one shown in reports. */
  answer: string;
  /** Members in input order. */
  members: T[];
}

export function groupByEquivalence<T>(
  items: readonly T[],
  answerOf: (item: T) => string,
  equivalent: AnswerEquivalence,
): AnswerGroup<T>[] {
  if (!Array.isArray(items))
    throw new TypeError(`groupByEquivalence: items must be an array, found ${describe(items)}`);
  const groups: AnswerGroup<T>[] = [];
  for (const [i, item] of items.entries()) {
    const answer: unknown = answerOf(item);
    // A reply without an answer (groupRewards' extracted null) would otherwise form a group of its own and
    // could win a majority vote as the answer null.
    if (typeof answer !== "string") {
      throw new TypeError(
        `groupByEquivalence: the answer of items[${i}] must be a string, found ${describe(answer)} (leave out replies without an answer)`,
      );
    }
    const home = groups.find((g) => g.answer === answer || equivalent(answer, g.answer));
    if (home) home.members.push(item);
    else groups.push({ answer, members: [item] });
  }
  return groups;
}
