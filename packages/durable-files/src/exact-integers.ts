/**
 * Integers past 2^53 written as JSON numbers (int64 ids from `datasets` or pandas, a large integer gold).
 * JSON.parse reads them as the nearest double, so 12345678901234567890 becomes 12345678901234567000: a gold
 * graded against other digits, two ids made equal ("duplicate id"), all without a word. A reader that needs
 * a field exactly refuses such a value, naming the digits as written, which only the text still holds.
 */

/** A number literal in JSON text whose value a double cannot hold exactly. */
export interface UnsafeInteger {
  /** Where it sits: `id`, `meta.ids[2]`; `` for a bare number. */
  path: string;
  /** Its digits as written. */
  literal: string;
  /** Its offset in the text. */
  offset: number;
}

/**
 * Whether `value` is a number JSON.parse may have changed: an integer a double cannot hold exactly. 2^53
 * itself counts, since 9007199254740993 is read as 2^53 (Number.isSafeInteger stops at 2^53 - 1).
 */
export function isUnsafeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value);
}

type Frame =
  | { kind: "object"; key: string | null; path: string }
  | { kind: "array"; index: number; path: string };

/** The path of the value about to start in `frame`. */
function childPath(frame: Frame | undefined): string {
  if (frame === undefined) return "";
  if (frame.kind === "array") return `${frame.path}[${frame.index}]`;
  return frame.path === "" ? (frame.key ?? "") : `${frame.path}.${frame.key ?? ""}`;
}

/** The end of the JSON string starting at `start` (its opening quote): the offset just past its closing quote. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/**
 * The number literals in `text` (one JSON value, assumed valid) that JSON.parse does not read exactly, in
 * the order written, with their paths. Linear in the text; no other parse.
 */
export function unsafeIntegerLiterals(text: string): UnsafeInteger[] {
  const found: UnsafeInteger[] = [];
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const top = stack[stack.length - 1];
    if (c === '"') {
      const end = stringEnd(text, i);
      // A string in an object where a key is expected is the key of the value that follows.
      if (top?.kind === "object" && top.key === null) top.key = JSON.parse(text.slice(i, end)) as string;
      i = end;
    } else if (c === "{" || c === "[") {
      const path = childPath(top);
      stack.push(c === "{" ? { kind: "object", key: null, path } : { kind: "array", index: 0, path });
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
    } else if (c === ",") {
      if (top?.kind === "object") top.key = null;
      else if (top?.kind === "array") top.index++;
      i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const literal = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400))?.[0] ?? c;
      if (isUnsafeInteger(Number(literal))) found.push({ path: childPath(top), literal, offset: i });
      i += literal.length;
    } else {
      i++;
    }
  }
  return found;
}

/**
 * The error for the field `field` of the record at `where`, whose integer `value` (parsed from `text`, when
 * given, for the digits as written) JSON.parse could not read exactly.
 */
export function unsafeIntegerError(where: string, field: string, value: number, text?: string): Error {
  const written =
    text === undefined ? undefined : unsafeIntegerLiterals(text).find((u) => u.path === field)?.literal;
  // Without the text only the rounded value is known: say so rather than pass it off as what was written.
  const digits = written ?? `${BigInt(value)}`;
  const read = written === undefined ? " (as read; the digits written may differ)" : ` (read as ${value})`;
  return new Error(
    `${where}: field "${field}" is the integer ${digits}${read}, too large for a JSON number to hold ` +
      `exactly (past 2^53, JSON readers round it); write it as a string: "${field}": "${written ?? digits}"`,
  );
}
