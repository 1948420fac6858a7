import type { AnswerShape } from "./structure.js";

/**
 * Inequalities in one variable read as the interval they describe: `3 < x \le 4` is `(3, 4]`, `x > 2` is
 * `(2, \infty)`, `x \le 0` is `(-\infty, 0]`, and `x < 2 \text{ or } x > 3` the union of two. MATH asks
 * for interval notation, and models often answer with the inequality instead (Qwen2.5 writes
 * `\boxed{-2 \le x \le 7}` for the gold `x \in [-2,7]`): the same set, graded wrong before. Only used when the
 * other side is an interval or a union, so two inequalities are still compared as written.
 */

type Direction = "less" | "greater";

interface Comparison {
  direction: Direction;
  strict: boolean;
}

/** `<`, `\le`, `\leq`, `\leqslant`, `>`, ... (`≤`/`≥` are `\le`/`\ge` after normalisation). */
const OPERATOR = /\\(?:leqslant|geqslant|leq|geq|le|ge|lt|gt)(?![a-zA-Z])|<=?|>=?/g;

/** A lone variable: `x`, `\lambda`, `x_1` (not a constant: `x < \pi` has one variable). */
const VARIABLE = /^(?:[a-zA-Z](?:_\{?\w+\}?)?|\\(?!(?:infty|pi)$)[a-zA-Z]+)$/;

/** "or" between inequalities: `x < 2 \text{ or } x > 3` (`\text` is unwrapped by then), `x < 2 \lor x > 3`. */
const OR = /\s+or\s+|\\(?:lor|vee)(?![a-zA-Z])/;
const AND = /\s+and\s+|\\(?:land|wedge)(?![a-zA-Z])/;

function isVariable(text: string): boolean {
  return VARIABLE.test(text);
}

function comparisonOf(op: string): Comparison {
  const name = op.replace(/^\\/, "");
  const less = name.startsWith("l") || op.startsWith("<");
  const strict = op === "<" || op === ">" || name === "lt" || name === "gt";
  return { direction: less ? "less" : "greater", strict };
}

function isValue(text: string): boolean {
  return text.length > 0 && !isVariable(text) && !/[=<>]/.test(text);
}

interface End {
  value: string;
  strict: boolean;
}

/** An interval's ends; null for an infinite one. */
interface Bounds {
  lower: End | null;
  upper: End | null;
}

/** `(a, b]` from a lower and an upper end, each possibly absent (an infinite end, always open). */
function intervalText({ lower, upper }: Bounds): string {
  const open = lower === null || lower.strict ? "(" : "[";
  const close = upper === null || upper.strict ? ")" : "]";
  return `${open}${lower?.value ?? "-\\infty"},${upper?.value ?? "\\infty"}${close}`;
}

/** One inequality (`x > 2`, `2 < x`, `3 < x \le 4`) as its interval's ends and variable; null for anything else. */
function inequalityBounds(text: string): (Bounds & { variable: string }) | null {
  if (text.length > 200) return null;
  const ops = [...text.matchAll(OPERATOR)];
  if (ops.length === 0 || ops.length > 2) return null;
  const parts: string[] = [];
  let last = 0;
  for (const m of ops) {
    parts.push(text.slice(last, m.index).trim());
    last = (m.index as number) + m[0].length;
  }
  parts.push(text.slice(last).trim());
  const comparisons = ops.map((m) => comparisonOf(m[0]));
  if (ops.length === 1) {
    const [left, right] = parts as [string, string];
    const c = comparisons[0] as Comparison;
    // `x < b` or `b > x`: an upper end; `x > a` or `a < x`: a lower end.
    const variableLeft = isVariable(left) && isValue(right);
    const variableRight = isVariable(right) && isValue(left);
    if (!variableLeft && !variableRight) return null;
    const end = { value: variableLeft ? right : left, strict: c.strict };
    const variable = variableLeft ? left : right;
    return (c.direction === "less") === variableLeft
      ? { lower: null, upper: end, variable }
      : { lower: end, upper: null, variable };
  }
  const [a, v, b] = parts as [string, string, string];
  const [first, second] = comparisons as [Comparison, Comparison];
  if (!isVariable(v) || !isValue(a) || !isValue(b) || first.direction !== second.direction) return null;
  // `a < x < b`, or written downwards, `b > x > a`.
  const low = {
    value: first.direction === "less" ? a : b,
    strict: (first.direction === "less" ? first : second).strict,
  };
  const high = {
    value: first.direction === "less" ? b : a,
    strict: (first.direction === "less" ? second : first).strict,
  };
  return { lower: low, upper: high, variable: v };
}

/** One inequality (`x > 2`, `2 < x`, `3 < x \le 4`) as an interval's text; null for anything else. */
export function inequalityInterval(text: string): string | null {
  const bounds = inequalityBounds(text);
  return bounds === null ? null : intervalText(bounds);
}

/**
 * `x > 2 \text{ and } x < 5`: two one-sided bounds of one variable, a lower and an upper, as the interval
 * between them; null for anything else (two lower bounds would need their values compared).
 */
function conjunctionInterval(parts: string[]): string | null {
  const bounds = parts.map((part) => inequalityBounds(part.trim()));
  if (bounds.length !== 2 || bounds.some((b) => b === null)) return null;
  const [a, b] = bounds as [Bounds & { variable: string }, Bounds & { variable: string }];
  if (a.variable !== b.variable) return null;
  const lower = a.lower ?? b.lower;
  const upper = a.upper ?? b.upper;
  const oneSided = (x: Bounds) => (x.lower === null) !== (x.upper === null);
  if (!oneSided(a) || !oneSided(b) || lower === null || upper === null) return null;
  return intervalText({ lower, upper });
}

/** `\{x \mid x > 2\}`, `\{x : x > 2\}`: set-builder notation, read as its condition. */
const SET_BUILDER = /^\\\{\s*(?:[a-zA-Z]|\\[a-zA-Z]+)\s*(?:\\mid|\||:|\\colon)\s*(.+?)\s*\\\}$/;

/** An interval or a union of them: what an inequality is compared with. */
export function isIntervalShape(shape: AnswerShape): boolean {
  if (shape.kind === "union") return true;
  return shape.kind === "bracketed" && shape.items.length === 2 && "([".includes(shape.open);
}

/**
 * The interval text of an answer that is one inequality, inequalities joined by "or" (`x < 2 \text{ or } x > 3`:
 * a union), a lower and an upper bound joined by "and" (`x > 2 \text{ and } x < 5`), or such a condition in
 * set-builder notation (`\{x \mid x > 2\}`); null otherwise. Parts joined by a comma are not read (a list of
 * solutions, or of conditions), so such answers are compared as before.
 */
export function inequalitiesAsIntervals(answer: string): string | null {
  const text = SET_BUILDER.exec(answer)?.[1] ?? answer;
  if (text.includes(",")) return null;
  const and = text.split(AND);
  if (and.length > 1) return OR.test(text) ? null : conjunctionInterval(and);
  const intervals = text.split(OR).map((part) => inequalityInterval(part.trim()));
  return intervals.every((i) => i !== null) ? intervals.join(" \\cup ") : null;
}
