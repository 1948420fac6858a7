import { RolloutError } from "./errors.js";

/**
 * Refuses a key of `value` that is not in `known`, naming it (and the known key it most likely meant): a
 * misspelled option such as `temprature` would otherwise be ignored and the run silently use the default.
 * Keys whose value is undefined are ignored, as the options themselves ignore them.
 */
export function refuseUnknownKeys(value: object, known: readonly string[], where: string): void {
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || known.includes(key)) continue;
    const near = closestKey(key, known);
    const hint = near ? ` (did you mean "${near}"?)` : "";
    throw new RolloutError(`${where}: unknown key "${key}"${hint}; known keys: ${known.join(", ")}`);
  }
}

/** The known key within edit distance 2 (or equal ignoring case and "_"), else undefined. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replaceAll("_", "");
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = norm(k) === norm(key) ? 0 : editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (keys are short, so the plain O(a·b) table is fine). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}
