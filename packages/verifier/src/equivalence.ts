import { type Budget, BudgetExceededError, startBudget } from "./budget.js";
import type { Complex } from "./complex.js";
import * as C from "./complex.js";
import {
  complexClose,
  constantValue,
  equationsEqual,
  expressionsEqual,
  type Tolerance,
} from "./expression-equal.js";
import { inequalitiesAsIntervals, isIntervalShape } from "./inequality-interval.js";
import { maxNesting } from "./latex-scan.js";
import { useBudget } from "./math-json.js";
import { assignedValue, compactKey, normalizeAnswer, quantityValue } from "./normalize.js";
import { answerText, checkOptions } from "./options-check.js";
import {
  EXACT_INTEGER_LIMIT,
  INTEGER_RESIDUE,
  parseSimpleNumber,
  type SimpleNumber,
  simpleNumbersEqual,
} from "./simple-number.js";
import { type AnswerShape, shapeOf } from "./structure.js";
import type { EquivalenceOptions } from "./types.js";

const MAX_DEPTH = 4;
const MAX_ITEMS = 64;
/** Deeper nesting than this is not handed to the LaTeX parser (its cost grows fast with depth). */
const MAX_PARSE_NESTING = 24;
/**
 * Longer expressions than this are not handed to the LaTeX parser: it costs up to ~0.1 ms a character
 * (measured: 400 characters of `x+x+...` took 40 ms), which would break the time budget. Answers are short:
 * MATH500's longest scalar answer is well under this.
 */
const MAX_PARSE_CHARS = 200;
/** Plain numbers as models write them (`1,080`, `18.00`, `025`): compared without any normalisation. */
const RAW_NUMBER = /^\s*[-+]?[\d,]*\.?\d+\s*$/;

interface Context {
  tol: Tolerance;
  /**
   * A written integer is exact against other numbers (see simpleNumbersEqual, integerAgainst): on with the
   * default tolerances, off when the caller passes a tolerance (then asks for approximate answers).
   */
  exactIntegers: boolean;
  percentAsFraction: boolean;
  maxAnswerChars: number;
  budget: Budget;
}

export interface Comparison {
  equivalent: boolean;
  normalizedPredicted: string;
  normalizedGold: string;
}

/** Computed values this close to an exact 0 are rounding residue (see Tolerance.zeroFloor). */
const ZERO_FLOOR = 1e-12;

function contextOf(options: EquivalenceOptions, budget?: Budget): Context {
  return {
    tol: {
      rel: options.relativeTolerance ?? 1e-6,
      // No absolute tolerance by default: it would make any two numbers below it equal (1e-10 = 2e-10 = 0).
      abs: options.absoluteTolerance ?? 0,
      zeroFloor: ZERO_FLOOR,
    },
    exactIntegers: options.relativeTolerance === undefined && options.absoluteTolerance === undefined,
    percentAsFraction: options.percentAsFraction ?? true,
    maxAnswerChars: options.maxAnswerChars ?? 1_000,
    budget: budget ?? startBudget(options.budgetMs ?? 50),
  };
}

const SPACED_NUMBERS = /^[-+]?[\d.,/]*\d\s+\d[\d\s.,/]*$/;
const WORD_ANSWER = /^[A-Za-z][A-Za-z .'-]*[A-Za-z.]$/;
const BASE_SUBSCRIPT = /^([0-9A-Za-z]+)_\{?(\d+)\}?$/;

interface BaseNumeral {
  /** Lower case, without leading zeros. */
  digits: string;
  base: number;
}

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=.)/, "");
}

/**
 * `52_8`, `A3_{16}`: digits in a base from 2 to 36, each digit below the base; null for anything else, so an
 * indexed variable (`x_0`, `a_1`) or `12_2` is not read as a number in a base (`x_0` used to equal `x`).
 */
function baseNumeral(key: string): BaseNumeral | null {
  // `(52)_8` and `52_{(8)}` are `52_8` written with parentheses.
  const m = BASE_SUBSCRIPT.exec(
    key.replace(/^\(([0-9A-Za-z]+)\)_/, "$1_").replace(/_\{?\((\d+)\)\}?$/, "_$1"),
  );
  if (m === null) return null;
  const base = Number(m[2]);
  if (base < 2 || base > 36) return null;
  const digits = (m[1] as string).toLowerCase();
  for (const digit of digits) if (Number.parseInt(digit, 36) >= base) return null;
  return { digits: withoutLeadingZeros(digits), base };
}

/** `Evelyn`, `\text{no solution}`: words, not algebra (three letters in a row, nothing else but spaces). */
function isWordAnswer(s: string): boolean {
  return WORD_ANSWER.test(s) && /[A-Za-z]{3}/.test(s);
}

/** With `%` on one side only, `50\%` may mean 50 or 0.5; with `%` on both, the numbers themselves must match. */
function withPercent(v: Complex, percent: boolean, ctx: Context): Complex[] {
  return percent && ctx.percentAsFraction ? [v, C.div(v, C.complex(100))] : [v];
}

function valuesMatch(
  g: Complex,
  gPct: boolean,
  p: Complex,
  pPct: boolean,
  ctx: Context,
  tol: Tolerance = ctx.tol,
): boolean {
  if (gPct && pPct) return complexClose(g, p, tol);
  for (const a of withPercent(g, gPct, ctx))
    for (const b of withPercent(p, pPct, ctx)) if (complexClose(a, b, tol)) return true;
  return false;
}

/**
 * A written integer against a computed real value (`14348907` vs `3^{15}`): equal only when the value is that
 * integer up to float64 rounding residue, not within the relative tolerance (which made `14348908` equal
 * `3^{15}` and `3141593` equal `1000000\pi`). Null when it does not apply (no written integer, a complex or
 * huge value): the tolerance decides.
 */
function integerAgainst(written: SimpleNumber | null, value: Complex): boolean | null {
  if (written === null || written.integerDigits === null) return null;
  if (value.im !== 0 || !Number.isFinite(value.re) || Math.abs(value.re) > EXACT_INTEGER_LIMIT) return null;
  const residue = Math.max(ZERO_FLOOR, INTEGER_RESIDUE * Math.abs(value.re));
  return Math.abs(value.re - written.value) <= residue;
}

function scalarsEqual(gold: string, pred: string, gPct: boolean, pPct: boolean, ctx: Context): boolean {
  if (compactKey(gold) === compactKey(pred)) return true;

  const gn = parseSimpleNumber(gold);
  const pn = parseSimpleNumber(pred);
  if (gn && pn) {
    if (simpleNumbersEqual(gn, pn, ctx.tol.rel, ctx.tol.abs, ctx.exactIntegers)) return true;
    // Both written out: no rounding residue to forgive, so no zero floor.
    const written = { ...ctx.tol, zeroFloor: 0 };
    return (gPct || pPct) && valuesMatch(C.complex(gn.value), gPct, C.complex(pn.value), pPct, ctx, written);
  }

  const gWord = isWordAnswer(gold);
  const pWord = isWordAnswer(pred);
  if (gWord || pWord) {
    // A leading article is not the answer: `an ellipse` is `ellipse`.
    const key = (s: string) =>
      s
        .toLowerCase()
        .replace(/^(?:an?|the)\s+(?=[a-z])/, "")
        .replace(/[^a-z0-9]/g, "");
    return gWord && pWord && key(gold) === key(pred);
  }

  const gBase = baseNumeral(compactKey(gold));
  const pBase = baseNumeral(compactKey(pred));
  if (gBase && pBase) return gBase.base === pBase.base && gBase.digits === pBase.digits;
  if (gBase || pBase) {
    // A bare number matches by its digits: the subscript dropped, as models do when the question names the
    // base (`52` = `52_8`). Its decimal value is another number (`42` != `52_8`).
    const [numeral, bare] = gBase ? [gBase, pred] : [pBase as BaseNumeral, gold];
    return withoutLeadingZeros(compactKey(bare).toLowerCase()) === numeral.digits;
  }

  if (
    gold.length > Math.min(ctx.maxAnswerChars, MAX_PARSE_CHARS) ||
    pred.length > Math.min(ctx.maxAnswerChars, MAX_PARSE_CHARS)
  )
    return false;
  if (maxNesting(gold) > MAX_PARSE_NESTING || maxNesting(pred) > MAX_PARSE_NESTING) return false;
  // Bare numbers with only a space between them (`1 2`; `11 7/6`, which is no mixed number) are not one number:
  // the LaTeX parser ignores the space and read `1 2` as 12, equal to the gold 12. (`\log_2 8` is LaTeX.)
  if ((!gn && SPACED_NUMBERS.test(gold)) || (!pn && SPACED_NUMBERS.test(pred))) return false;
  ctx.budget.check();

  const gv = gn ? C.complex(gn.value) : constantValue(gold);
  const pv = pn ? C.complex(pn.value) : constantValue(pred);
  if (gv && pv) {
    if (ctx.exactIntegers && !gPct && !pPct) {
      const exact = integerAgainst(gn, pv) ?? integerAgainst(pn, gv);
      if (exact !== null) return exact;
    }
    return valuesMatch(gv, gPct, pv, pPct, ctx);
  }
  if ((gv && !pv && gn) || (pv && !gv && pn)) {
    // A plain number against an expression with variables is never equal.
    return false;
  }
  ctx.budget.check();
  return expressionsEqual(gold, pred, ctx.tol);
}

/** Maximum bipartite matching (Kuhn's algorithm): small lists, so O(n^3) comparisons at worst. */
function unorderedEqual(golds: string[], preds: string[], ctx: Context, depth: number): boolean {
  if (golds.length !== preds.length || golds.length > MAX_ITEMS) return false;
  const n = golds.length;
  const eq: boolean[][] = golds.map((g) => preds.map((p) => compare(g, p, ctx, depth + 1).equivalent));
  const matchOfPred = new Array<number>(n).fill(-1);
  const tryAssign = (g: number, seen: boolean[]): boolean => {
    for (let p = 0; p < n; p++) {
      if (!eq[g]?.[p] || seen[p]) continue;
      seen[p] = true;
      if (matchOfPred[p] === -1 || tryAssign(matchOfPred[p] as number, seen)) {
        matchOfPred[p] = g;
        return true;
      }
    }
    return false;
  };
  for (let g = 0; g < n; g++) if (!tryAssign(g, new Array<boolean>(n).fill(false))) return false;
  return true;
}

function orderedEqual(golds: string[], preds: string[], ctx: Context, depth: number): boolean {
  if (golds.length !== preds.length || golds.length > MAX_ITEMS) return false;
  return golds.every((g, i) => compare(g, preds[i] as string, ctx, depth + 1).equivalent);
}

function itemsOf(shape: AnswerShape): string[] | null {
  switch (shape.kind) {
    case "set":
    case "list":
    case "bracketed":
      return shape.items;
    case "scalar":
      return [shape.text];
    default:
      return null;
  }
}

/** A row or column matrix as a flat vector (`\begin{pmatrix}1\\2\end{pmatrix}` vs `(1, 2)`). */
function vectorOf(shape: AnswerShape): string[] | null {
  if (shape.kind !== "matrix") return null;
  if (shape.rows.length === 1) return shape.rows[0] as string[];
  if (shape.rows.every((r) => r.length === 1)) return shape.rows.map((r) => r[0] as string);
  return null;
}

function shapesEqual(
  g: AnswerShape,
  p: AnswerShape,
  gPct: boolean,
  pPct: boolean,
  ctx: Context,
  depth: number,
): boolean {
  if (g.kind === "scalar" && p.kind === "scalar") return scalarsEqual(g.text, p.text, gPct, pPct, ctx);
  if (g.kind === "equation" && p.kind === "equation") {
    if (compare(g.lhs, p.lhs, ctx, depth + 1).equivalent && compare(g.rhs, p.rhs, ctx, depth + 1).equivalent)
      return true;
    return equationsEqual(g, p, ctx.tol);
  }
  if (g.kind === "matrix" && p.kind === "matrix") {
    if (g.rows.length !== p.rows.length) return false;
    return g.rows.every((row, i) => orderedEqual(row, p.rows[i] as string[], ctx, depth));
  }
  const gv = vectorOf(g);
  const pv = vectorOf(p);
  if (gv && p.kind === "bracketed") return orderedEqual(gv, p.items, ctx, depth);
  if (pv && g.kind === "bracketed") return orderedEqual(g.items, pv, ctx, depth);
  if (g.kind === "union" && p.kind === "union") return unorderedEqual(g.parts, p.parts, ctx, depth);
  if (g.kind === "bracketed" && p.kind === "bracketed") {
    return g.open === p.open && g.close === p.close && orderedEqual(g.items, p.items, ctx, depth);
  }
  // A tuple written without its parentheses: `3, \frac{\pi}{2}` for `(3, \frac{\pi}{2})`.
  const isTuple = (s: AnswerShape) => s.kind === "bracketed" && s.open === "(" && s.close === ")";
  if ((isTuple(g) && p.kind === "list") || (g.kind === "list" && isTuple(p))) {
    return orderedEqual(itemsOf(g) as string[], itemsOf(p) as string[], ctx, depth);
  }
  // One value written two ways, `\frac{1}{2} \text{ or } 0.5`, against a single gold: every item is the gold.
  if (g.kind === "scalar" && p.kind === "list" && p.items.length <= MAX_ITEMS)
    return p.items.every((item) => compare(g.text, item, ctx, depth + 1).equivalent);
  const unordered = (s: AnswerShape) => s.kind === "set" || s.kind === "list" || s.kind === "scalar";
  if (unordered(g) && unordered(p))
    return unorderedEqual(itemsOf(g) as string[], itemsOf(p) as string[], ctx, depth);
  return false;
}

function compare(gold: string, predicted: string, ctx: Context, depth: number): Comparison {
  if (RAW_NUMBER.test(gold) && RAW_NUMBER.test(predicted)) {
    const gn = parseSimpleNumber(gold);
    const pn = parseSimpleNumber(predicted);
    if (gn && pn) {
      const equivalent = simpleNumbersEqual(gn, pn, ctx.tol.rel, ctx.tol.abs, ctx.exactIntegers);
      return { equivalent, normalizedGold: gold.trim(), normalizedPredicted: predicted.trim() };
    }
  }
  const g = normalizeAnswer(gold);
  const p = normalizeAnswer(predicted);
  const result = { equivalent: false, normalizedGold: g.text, normalizedPredicted: p.text };
  if (g.text.length === 0 || p.text.length === 0) return result;
  if (compactKey(g.text) === compactKey(p.text) && g.percent === p.percent)
    return { ...result, equivalent: true };
  if (depth > MAX_DEPTH || g.text.length > ctx.maxAnswerChars || p.text.length > ctx.maxAnswerChars)
    return result;
  ctx.budget.check();
  let gs = shapeOf(g.text);
  let ps = shapeOf(p.text);
  // `x = 5` against `5`: compare the assigned value (only when exactly one side is an equation).
  if ((gs.kind === "equation") !== (ps.kind === "equation")) {
    const gv = gs.kind === "equation" ? assignedValue(g.text) : null;
    const pv = ps.kind === "equation" ? (assignedValue(p.text) ?? quantityValue(p.text)) : null;
    if (gv !== null) gs = shapeOf(gv);
    if (pv !== null) ps = shapeOf(pv);
  } else if (gs.kind !== "equation" && ps.kind === "scalar" && p.text.includes("=")) {
    // A chain, `m + n = 7 + 18 = 25` (its shape is no equation): the quantity's last value.
    const pv = quantityValue(p.text);
    if (pv !== null) ps = shapeOf(pv);
  }
  // An inequality against an interval: `3 < x \le 4` for `(3,4]`, `\{x \mid x > 2\}` for `(2,\infty)` (see
  // inequality-interval.ts).
  if (isIntervalShape(gs) !== isIntervalShape(ps)) {
    const asInterval = (shape: AnswerShape, text: string): AnswerShape => {
      // A set is read only in set-builder notation (`\{x \mid x > 2\}`); `\{1, 2\}` stays a set.
      if (shape.kind !== "scalar" && shape.kind !== "list" && shape.kind !== "set") return shape;
      const interval = inequalitiesAsIntervals(text);
      return interval === null ? shape : shapeOf(interval);
    };
    if (isIntervalShape(gs)) ps = asInterval(ps, p.text);
    else gs = asInterval(gs, g.text);
  }
  // A choice letter with its value, `\textbf{(C)}\ 12`, against the gold letter `\text{(C)}`.
  const choice = /^\(([A-E])\)\s*\S/;
  if (/^[A-E]$/.test(g.text) && choice.test(p.text))
    ps = shapeOf((choice.exec(p.text) as RegExpExecArray)[1] as string);
  result.equivalent = shapesEqual(gs, ps, g.percent, p.percent, ctx, depth);
  return result;
}

/**
 * Compares a predicted answer with a gold answer (both final answers, not whole responses; numbers are read
 * as their text). Throws BudgetExceededError when the budget runs out, and a TypeError or RangeError for
 * invalid options; `isEquivalent` and `grade` only throw for invalid options.
 */
export function compareAnswers(
  predicted: string,
  gold: string,
  options: EquivalenceOptions = {},
  budget?: Budget,
): Comparison {
  checkOptions("compareAnswers", options);
  const ctx = contextOf(options, budget);
  const previous = useBudget(ctx.budget);
  try {
    return compare(answerText(gold), answerText(predicted), ctx, 0);
  } finally {
    useBudget(previous);
  }
}

/**
 * True when `predicted` and `gold` are the same mathematical answer (a numeric gold of 5 is read as "5", as
 * `grade` reads it). Never throws for any answers; false when unsure. Invalid options throw.
 */
export function isEquivalent(predicted: string, gold: string, options: EquivalenceOptions = {}): boolean {
  checkOptions("isEquivalent", options);
  try {
    return compareAnswers(predicted, gold, options).equivalent;
  } catch (error) {
    if (error instanceof BudgetExceededError) return false;
    return false;
  }
}
