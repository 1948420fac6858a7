/**
 * Records from other datasets name their fields otherwise: MATH and MATH-500 `problem` / `solution` /
 * `answer`, AIME as on the Hub `ID` / `Problem` / `Answer`. A reader that needs `question` then says only
 * `field "question" ... found nothing`; this names the fields the record has and the renaming that fits.
 * Nothing is renamed silently: a guess could read the wrong field as the question or the gold.
 */

/**
 * Fields a reader wants, each with the other names it goes by in known datasets (a field differing only in
 * case is found without being listed).
 */
export type WantedFields = Readonly<Record<string, readonly string[]>>;

/** The fields of `record`, quoted, at most `max` of them. */
function listed(record: Record<string, unknown>, max = 8): string {
  const keys = Object.keys(record);
  const shown = keys.slice(0, max).map((k) => JSON.stringify(k));
  if (keys.length > max) shown.push(`and ${keys.length - max} more`);
  return shown.length === 0 ? "no fields" : shown.join(", ");
}

/** A jq path for `field` (`.Problem`, or `.["a b"]` when it is not an identifier). */
function jqPath(field: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(field) ? `.${field}` : `.[${JSON.stringify(field)}]`;
}

/**
 * What to tell the user about `record`, which lacks some of the wanted fields: the fields it has and, when
 * other names for the wanted ones are there, the renaming (with a jq command that does it). For example
 * `this record has "problem", "solution", "answer" (MATH's fields): rename "problem" to "question"
 * (jq -c '. + {question: .problem} | del(.problem)' FILE > NEW)`.
 */
export function fieldRenameHint(record: Record<string, unknown>, wanted: WantedFields): string {
  const keys = Object.keys(record);
  const renames: [string, string][] = [];
  for (const [field, others] of Object.entries(wanted)) {
    if (field in record) continue;
    const found =
      keys.find((k) => k.toLowerCase() === field.toLowerCase()) ??
      others.map((o) => keys.find((k) => k.toLowerCase() === o.toLowerCase())).find((k) => k !== undefined);
    if (found !== undefined && !(found in wanted)) renames.push([found, field]);
  }
  const known = ["problem", "solution", "answer"].every((k) => k in record)
    ? " (MATH's fields)"
    : ["ID", "Problem", "Answer"].every((k) => k in record)
      ? " (AIME's fields as on the Hugging Face Hub)"
      : "";
  const has = `this record has ${listed(record)}${known}`;
  if (renames.length === 0) return has;
  const words = renames.map(([from, to]) => `${JSON.stringify(from)} to ${JSON.stringify(to)}`).join(", ");
  const adds = renames.map(([from, to]) => `${to}: ${jqPath(from)}`).join(", ");
  const dels = renames.map(([from]) => jqPath(from)).join(", ");
  return `${has}: rename ${words} (jq -c '. + {${adds}} | del(${dels})' FILE > NEW)`;
}
