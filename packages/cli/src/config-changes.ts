/**
 * What changed between the config a work directory was made with and a rerun's, field by field, as a refusal
 * names it: `rollout.temperature: 0.8 -> 0.7`, or for a problem file edited in place, the file.
 */

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const shown = (v: unknown): string => (v === undefined ? "(not set)" : (JSON.stringify(v) ?? String(v)));

/** The leaf fields that differ under `prefix` (objects compared key by key, arrays and scalars as a whole). */
function leafChanges(prefix: string, before: unknown, after: unknown): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => leafChanges(`${prefix}.${k}`, before[k], after[k]));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [`${prefix}: ${shown(before)} -> ${shown(after)}`];
}

/**
 * The changes of one config section (neutral settings already left out of both sides). In `problems`, the
 * `contents` fingerprints of the problem files are not settings: a changed one names the file as edited in
 * place (unless its path changed too, which is named already).
 */
export function sectionChanges(section: string, before: unknown, after: unknown): string[] {
  if (section !== "problems" || !isPlainObject(before) || !isPlainObject(after))
    return leafChanges(section, before, after);
  const { contents: a, ...restBefore } = before;
  const { contents: b, ...restAfter } = after;
  const changes = leafChanges(section, restBefore, restAfter);
  const sums = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});
  for (const file of ["trainFile", "evalFile"]) {
    const path = after[file];
    if (sums(a)[file] === sums(b)[file] || before[file] !== path || typeof path !== "string") continue;
    changes.push(`problems.${file} ${path} was edited since (its contents differ)`);
  }
  return changes;
}
