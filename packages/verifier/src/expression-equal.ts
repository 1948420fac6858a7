import type { Complex } from "./complex.js";
import * as C from "./complex.js";
import { type Bindings, evaluate, freeVariables } from "./evaluate.js";
import { canonicallySame, type MathJson, parseLatex } from "./math-json.js";
import { numbersClose } from "./simple-number.js";

export interface Tolerance {
  rel: number;
  /** The caller's absolute tolerance (default 0: written numbers compare by relative tolerance alone). */
  abs: number;
  /**
   * Against an exact 0 only, a computed value this small counts as 0: it is float64 rounding residue
   * (`\sin(\pi)` evaluates to 1.2e-16, `e^{i\pi}+1` to 1.2e-16i). Never used between two non-zero values,
   * so `10^{-10}` and `2\cdot10^{-10}` stay apart.
   */
  zeroFloor: number;
}

/** Points at which expressions with variables are compared; chosen off small integers and away from each other. */
const SAMPLE_POINTS = [0.3127, 1.6921, -0.8454, 2.4373, -1.9283, 0.7731, 3.1419];
const MIN_VALID_POINTS = 3;

const isZero = (a: Complex): boolean => a.re === 0 && a.im === 0;

/**
 * Numerically equal within tolerance. Infinite values only come from `\infty` itself (the evaluator turns
 * overflow and division by zero into NaN), so two equal infinities match; NaN matches nothing.
 */
export function complexClose(a: Complex, b: Complex, tol: Tolerance): boolean {
  if (!C.isFiniteComplex(a) || !C.isFiniteComplex(b)) return a.re === b.re && a.im === b.im;
  const scale = Math.max(C.abs(a), C.abs(b));
  const floor = isZero(a) || isZero(b) ? tol.zeroFloor : 0;
  return C.abs(C.sub(a, b)) <= Math.max(tol.abs, floor, tol.rel * scale);
}

function bindingsAt(variables: string[], point: number): Bindings {
  const b: Bindings = {};
  variables.forEach((v, i) => {
    b[v] = point + 0.37 * i;
  });
  return b;
}

/** Parsed, with its variables. */
export interface ParsedExpression {
  json: MathJson;
  variables: string[];
}

export function parseExpression(latex: string): ParsedExpression | null {
  const json = parseLatex(latex);
  return json === null ? null : { json, variables: freeVariables(json) };
}

/** The numeric value of a constant expression, or null when it has variables or cannot be evaluated. */
export function constantValue(latex: string): Complex | null {
  const p = parseExpression(latex);
  if (!p || p.variables.length > 0) return null;
  const v = evaluate(p.json);
  return v && !Number.isNaN(v.re) && !Number.isNaN(v.im) ? v : null;
}

/**
 * Equal as expressions: constants by value, expressions with variables by value at several points (a
 * polynomial identity test: `x^2-1` and `(x-1)(x+1)` agree everywhere, `x^2-1` and `x^2+1` nowhere), and what
 * our evaluator cannot compute by the Compute Engine's canonical form.
 */
export function expressionsEqual(a: string, b: string, tol: Tolerance): boolean {
  const pa = parseExpression(a);
  const pb = parseExpression(b);
  if (!pa || !pb) return false;
  const vars = [...new Set([...pa.variables, ...pb.variables])].sort();
  let valid = 0;
  for (const point of vars.length === 0 ? [0] : SAMPLE_POINTS) {
    const bind = bindingsAt(vars, point);
    const va = evaluate(pa.json, bind);
    const vb = evaluate(pb.json, bind);
    if (va === null || vb === null) return canonicallySame(a, b);
    const aBad = Number.isNaN(va.re) || Number.isNaN(va.im);
    const bBad = Number.isNaN(vb.re) || Number.isNaN(vb.im);
    if (aBad && bBad) continue;
    if (aBad !== bBad || !complexClose(va, vb, tol)) return false;
    valid++;
  }
  return vars.length === 0 ? valid === 1 : valid >= MIN_VALID_POINTS;
}

/**
 * Equal as equations: `lhs - rhs` of one is a non-zero constant multiple of the other's at every sample point
 * (`y = 2x + 3` and `2x - y + 3 = 0`).
 */
export function equationsEqual(
  a: { lhs: string; rhs: string },
  b: { lhs: string; rhs: string },
  tol: Tolerance,
): boolean {
  const sides = [a.lhs, a.rhs, b.lhs, b.rhs].map(parseExpression);
  if (sides.some((s) => s === null)) return false;
  const [al, ar, bl, br] = sides as [ParsedExpression, ParsedExpression, ParsedExpression, ParsedExpression];
  const vars = [...new Set([...al.variables, ...ar.variables, ...bl.variables, ...br.variables])].sort();
  if (vars.length === 0) return false;
  let ratio: Complex | null = null;
  let valid = 0;
  for (const point of SAMPLE_POINTS) {
    const bind = bindingsAt(vars, point);
    const vals = [al, ar, bl, br].map((s) => evaluate(s.json, bind));
    if (vals.some((v) => v === null)) return false;
    const [x1, x2, y1, y2] = vals as [Complex, Complex, Complex, Complex];
    const fa = C.sub(x1, x2);
    const fb = C.sub(y1, y2);
    if (!C.isFiniteComplex(fa) || !C.isFiniteComplex(fb)) continue;
    const zeroTol = Math.max(tol.abs, tol.zeroFloor);
    const zeroA = C.abs(fa) <= zeroTol;
    const zeroB = C.abs(fb) <= zeroTol;
    if (zeroA || zeroB) {
      if (zeroA !== zeroB) return false;
      continue;
    }
    const r = C.div(fa, fb);
    if (ratio === null) ratio = r;
    else if (!complexClose(ratio, r, tol)) return false;
    valid++;
  }
  return valid >= MIN_VALID_POINTS || (valid > 0 && ratio !== null);
}

export { numbersClose };
