/**
 * Small, linear-time scanners over LaTeX-ish text. Nothing here recurses, so deep nesting or 10^5-character
 * inputs cost time proportional to their length and never overflow the stack.
 */

const OPENERS = new Set(["(", "[", "{"]);
const CLOSERS = new Set([")", "]", "}"]);

/**
 * Given the index of a `{`, returns the index just past its matching `}`, or -1 when it is never closed.
 * Escaped braces (`\{`, `\}`) count as text, not as grouping.
 */
export function matchBrace(text: string, openIndex: number): number {
  let depth = 0;
  for (let i = openIndex; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") {
      i++; // skip the escaped character
      continue;
    }
    if (ch === "{") depth++;
    else if (ch === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Depth of bracket nesting at its deepest point (any of `([{`, escaped braces included). */
export function maxNesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (OPENERS.has(ch)) {
      depth++;
      if (depth > max) max = depth;
    } else if (CLOSERS.has(ch)) depth = Math.max(0, depth - 1);
  }
  return max;
}

/** True when every `{` has its `}` (ignoring escaped braces). */
export function bracesBalanced(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") {
      i++;
      continue;
    }
    if (ch === "{") depth++;
    else if (ch === "}") {
      depth--;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}

/**
 * Splits `text` at every occurrence of `separator` that is outside all brackets. Brackets of any kind count
 * (so `[1, 2)` is one piece): an interval's mismatched ends still nest. `\{`/`\}` count as brackets too.
 */
export function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\") {
      const next = text[i + 1];
      if (next === "{" || next === "[" || next === "(") depth++;
      else if (next === "}" || next === "]" || next === ")") depth = Math.max(0, depth - 1);
      else if (depth === 0 && text.startsWith(separator, i)) {
        parts.push(text.slice(start, i));
        i += separator.length - 1;
        start = i + 1;
        continue;
      }
      i++;
      continue;
    }
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      i += separator.length - 1;
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * True when `text` is wrapped by one bracket pair from its first to its last character, e.g. `(1, 2)` or
 * `[0, 1)`, but not `(1)(2)`. The kinds of the two ends may differ (intervals).
 */
export function isWrapped(text: string, openers: string, closers: string): boolean {
  if (text.length < 2) return false;
  if (!openers.includes(text[0] as string) || !closers.includes(text[text.length - 1] as string))
    return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) {
      depth--;
      if (depth === 0 && i < text.length - 1) return false;
    }
  }
  return depth === 0;
}
