/**
 * Integers past 2^53 written as JSON numbers (int64 ids from `datasets` or pandas, a large integer gold).
 * JSON.parse reads them as the nearest double, so 12345678901234567890 becomes 12345678901234567000: a gold
 * graded against other digits, an id written back changed, both without a word.
 */

import { isUnsafeInteger, unsafeIntegerLiterals } from "@ssb/durable-files";

/** Nesting deeper than this is not searched (a record's ids and golds sit near the top). */
const MAX_DEPTH = 8;

/** Whether `value` holds an integer a double cannot hold exactly (at any depth up to MAX_DEPTH). */
export function holdsUnsafeInteger(value: unknown, depth = 0): boolean {
  if (typeof value === "number") return isUnsafeInteger(value);
  if (depth >= MAX_DEPTH || typeof value !== "object" || value === null) return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((item) => holdsUnsafeInteger(item, depth + 1));
}

/** The digits the top-level `field` was written with in `line` (`"gold": 12345678901234567890`), or null. */
export function writtenNumber(line: string, field: string): string | null {
  return unsafeIntegerLiterals(line).find((u) => u.path === field)?.literal ?? null;
}

/**
 * The output line: `record` with `added` after its fields. A record holding an integer past 2^53 is written
 * from its own text, `added` spliced in before its closing brace, so those digits stay as they were written
 * (a field of `added` it already had then appears twice; JSON readers take the last, the new value).
 */
export function lineWithFields(
  line: string,
  record: Record<string, unknown>,
  added: Record<string, unknown>,
): string {
  if (!holdsUnsafeInteger(record)) return JSON.stringify({ ...record, ...added });
  const open = line.trim().slice(0, -1).trimEnd(); // the line is one JSON object: it ends with "}"
  const fields = JSON.stringify(added).slice(1, -1);
  return `${open}${open.endsWith("{") ? "" : ","}${fields}}`;
}
