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

/** `(a, b]` from a lower and an upper end, each possibly absent (an infinite end, always open). */
function intervalText(lower: { value: string; strict: boolean } | null, upper: typeof lower): string {
  const open = lower === null || lower.strict ? "(" : "[";
  const close = upper === null || upper.strict ? ")" : "]";
  return `${open}${lower?.value ?? "-\\infty"},${upper?.value ?? "\\infty"}${close}`;
}

/** One inequality (`x > 2`, `2 < x`, `3 < x \le 4`) as an interval's text; null for anything else. */
export function inequalityInterval(text: string): string | null {
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
    const value = variableLeft ? right : left;
    const upper = (c.direction === "less") === variableLeft;
    const end = { value, strict: c.strict };
    return upper ? intervalText(null, end) : intervalText(end, null);
  }
  const [a, v, b] = parts as [string, string, string];
  const [first, second] = comparisons as [Comparison, Comparison];
  if (!isVariable(v) || !isValue(a) || !isValue(b) || first.direction !== second.direction) return null;
  // `a < x < b`, or written downwards, `b > x > a`.
  return first.direction === "less"
    ? intervalText({ value: a, strict: first.strict }, { value: b, strict: second.strict })
    : intervalText({ value: b, strict: second.strict }, { value: a, strict: first.strict });
}

/** An interval or a union of them: what an inequality is compared with. */
export function isIntervalShape(shape: AnswerShape): boolean {
  if (shape.kind === "union") return true;
  return shape.kind === "bracketed" && shape.items.length === 2 && "([".includes(shape.open);
}

/**
 * The interval text of an answer that is one inequality, or inequalities joined by "or" (`x < 2 \text{ or }
 * x > 3`: a union); null when any part is not an inequality in one variable. Parts joined by a comma or "and"
 * are not read (an intersection, or a list of solutions), so such answers are compared as before.
 */
export function inequalitiesAsIntervals(text: string): string | null {
  if (/,|\band\b|\\land(?![a-zA-Z])|\\wedge(?![a-zA-Z])/.test(text)) return null;
  const intervals = text.split(OR).map((part) => inequalityInterval(part.trim()));
  return intervals.every((i) => i !== null) ? intervals.join(" \\cup ") : null;
}
