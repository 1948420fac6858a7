/**
 * Groups items by answer equivalence. Equivalence checks are not guaranteed transitive (numeric tolerance,
 * symbolic simplification), so groups are defined by their first member: an item joins the first group whose
 * representative it is equivalent to, otherwise it starts a new group. This is deterministic given the input
 * order and costs O(items x groups) equivalence calls.
 */
import type { AnswerEquivalence } from "./grader.js";

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
  const groups: AnswerGroup<T>[] = [];
  for (const item of items) {
    const answer = answerOf(item);
    const home = groups.find((g) => g.answer === answer || equivalent(answer, g.answer));
    if (home) home.members.push(item);
    else groups.push({ answer, members: [item] });
  }
  return groups;
}
