/** The known key a misspelled one most likely meant: equal ignoring case and "_", or within edit distance 2. */
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

/**
 * Edit distance with a swap of two neighbouring letters counted as one edit (the optimal-string-alignment
 * variant of Damerau-Levenshtein): `--form` is one edit from `--from`, two from `--work`. Option names are
 * short, so the plain O(a·b) table is fine.
 */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Throws `fail(message)` for the first key of `options` (with a defined value) that is not in `known`. */
export function refuseUnknownOptions(
  options: object,
  known: readonly string[],
  where: string,
  fail: (message: string) => Error,
): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || known.includes(key)) continue;
    const near = closestKey(key, known);
    throw fail(
      `${where}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}; known options: ${known.join(", ")}`,
    );
  }
}
