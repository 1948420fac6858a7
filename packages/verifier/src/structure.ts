import { isWrapped, splitTopLevel } from "./latex-scan.js";

/**
 * The shape of an answer. Scalars are compared as numbers or expressions; the other kinds element by element.
 * - `bracketed`: `(a, b)`, `[a, b)`, `(a, b, c)`, `\langle a, b \rangle` — ordered; the bracket kinds matter
 *   (they tell open from closed interval ends).
 * - `union`: intervals joined by `\cup`, order-free.
 * - `set`: `\{a, b\}`, order-free. `list`: bare `a, b` (solutions), order-free.
 * - `matrix`: rows of cells. `equation`: `lhs = rhs` that is not a plain `x = value` (those are stripped).
 */
export type AnswerShape =
  | { kind: "scalar"; text: string }
  | { kind: "bracketed"; open: string; close: string; items: string[] }
  | { kind: "union"; parts: string[] }
  | { kind: "set"; items: string[] }
  | { kind: "list"; items: string[] }
  | { kind: "matrix"; rows: string[][] }
  | { kind: "equation"; lhs: string; rhs: string };

const MATRIX =
  /^\\begin\{(pmatrix|bmatrix|Bmatrix|vmatrix|Vmatrix|matrix|smallmatrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{\1\}$/;
const THOUSANDS = /^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const CONNECTIVE = /\s+(?:and|or)\s+|\\(?:text\s*\{\s*)?(?:and|or)\s*\}?/;

function splitItems(text: string): string[] {
  return splitTopLevel(text, ",")
    .flatMap((item) => item.split(CONNECTIVE))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Expands `a \pm b` into `a + b` and `a - b` (two solutions). */
function expandPlusMinus(items: string[]): string[] {
  return items.flatMap((item) => {
    const parts = splitTopLevel(item, "\\pm");
    if (parts.length !== 2) return [item];
    const [a, b] = parts as [string, string];
    const head = a.trim();
    return head.length === 0 ? [b.trim(), `-${b.trim()}`] : [`${head}+${b.trim()}`, `${head}-${b.trim()}`];
  });
}

/** `[\begin{matrix} ... \end{matrix}]`: a plain matrix environment in brackets, as `bmatrix` writes it. */
const BRACKETED_MATRIX = /^[[(]\s*(\\begin\{(matrix|array)\}[\s\S]*\\end\{\2\})\s*[\])]$/;

export function shapeOf(text: string): AnswerShape {
  const t = text.trim();
  const matrix = MATRIX.exec(BRACKETED_MATRIX.exec(t)?.[1] ?? t);
  if (matrix) {
    const rows = (matrix[2] as string)
      .split(/\\\\/)
      .map((r) => r.trim())
      .filter((r) => r.length > 0)
      .map((r) => r.split("&").map((c) => c.trim()));
    return { kind: "matrix", rows };
  }

  const unionParts = splitTopLevel(t, "\\cup");
  if (unionParts.length > 1) return { kind: "union", parts: unionParts.map((p) => p.trim()) };

  if (t.startsWith("\\{") && t.endsWith("\\}") && t.length >= 4) {
    return { kind: "set", items: expandPlusMinus(splitItems(t.slice(2, -2))) };
  }
  if (t.startsWith("\\langle") && t.endsWith("\\rangle")) {
    return { kind: "bracketed", open: "(", close: ")", items: splitItems(t.slice(7, -7)) };
  }
  if (isWrapped(t, "([", ")]")) {
    const items = splitTopLevel(t.slice(1, -1), ",").map((s) => s.trim());
    if (items.length >= 2)
      return { kind: "bracketed", open: t[0] as string, close: t[t.length - 1] as string, items };
    if (t[0] === "(" && t[t.length - 1] === ")") return shapeOf(t.slice(1, -1));
  }

  if (!THOUSANDS.test(t)) {
    const items = expandPlusMinus(splitItems(t));
    if (items.length > 1) return { kind: "list", items };
  }

  const sides = splitTopLevel(t, "=");
  if (sides.length === 2 && !/[<>]$/.test(sides[0] as string)) {
    return { kind: "equation", lhs: (sides[0] as string).trim(), rhs: (sides[1] as string).trim() };
  }
  return { kind: "scalar", text: t };
}
