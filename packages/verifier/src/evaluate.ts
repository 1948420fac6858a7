import type { Complex } from "./complex.js";
import * as C from "./complex.js";
import type { MathJson } from "./math-json.js";

/** Symbols that are constants, not variables. `e` and `i` are read as Euler's number and the imaginary unit. */
const CONSTANTS: Record<string, Complex> = {
  Pi: C.complex(Math.PI),
  pi: C.complex(Math.PI),
  ExponentialE: C.complex(Math.E),
  e: C.complex(Math.E),
  ImaginaryUnit: C.complex(0, 1),
  i: C.complex(0, 1),
  PositiveInfinity: C.complex(Number.POSITIVE_INFINITY),
  NegativeInfinity: C.complex(Number.NEGATIVE_INFINITY),
  Half: C.complex(0.5),
  GoldenRatio: C.complex((1 + Math.sqrt(5)) / 2),
};

export type Bindings = Record<string, number>;

/** Variables of an expression (symbols that are not known constants), sorted. */
export function freeVariables(json: MathJson): string[] {
  const found = new Set<string>();
  const stack: MathJson[] = [json];
  while (stack.length > 0) {
    const node = stack.pop() as MathJson;
    if (typeof node === "string") {
      if (!(node in CONSTANTS) && !node.startsWith("'")) found.add(node);
    } else if (Array.isArray(node)) {
      for (let i = 1; i < node.length; i++) stack.push(node[i] as MathJson);
    } else if (typeof node === "object" && "sym" in node) {
      if (!(node.sym in CONSTANTS)) found.add(node.sym);
    }
  }
  return [...found].sort();
}

const REAL_FUNCTIONS: Record<string, (x: number) => number> = {
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Cot: (x) => 1 / Math.tan(x),
  Sec: (x) => 1 / Math.cos(x),
  Csc: (x) => 1 / Math.sin(x),
  Arcsin: Math.asin,
  Arccos: Math.acos,
  Arctan: Math.atan,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Tanh: Math.tanh,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Ceiling: Math.ceil,
  Round: Math.round,
  Sign: Math.sign,
};

const INVERSES: Record<string, string> = { Sin: "Arcsin", Cos: "Arccos", Tan: "Arctan" };

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) return Number.NaN;
  if (n > 170) return Number.POSITIVE_INFINITY;
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}

function isIntegerLiteral(json: MathJson | undefined): json is number {
  return typeof json === "number" && Number.isInteger(json) && json >= 0;
}

/** `2\frac{1}{2}` (and `-1\frac{1}{2}`, whose minus covers the whole number) as a mixed number, else null. */
function mixedNumber(args: MathJson[]): number | null {
  const [first, frac] = args;
  const negated = Array.isArray(first) && first[0] === "Negate" && first.length === 2;
  const whole = negated ? first[1] : first;
  if (args.length !== 2 || !isIntegerLiteral(whole)) return null;
  if (
    !Array.isArray(frac) ||
    frac[0] !== "Divide" ||
    !isIntegerLiteral(frac[1]) ||
    !isIntegerLiteral(frac[2])
  )
    return null;
  const value = whole + frac[1] / frac[2];
  return negated ? -value : value;
}

/** The smallest positive normal float64; below it precision is lost (and at 0, everything is). */
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * The result of an operation, or NaN where float64 cannot represent it: an infinite result from finite inputs
 * is overflow (`10^{400}`) or a pole (`\frac{1}{0}`, `\ln 0`, `\cot 0`), not the answer `\infty`; and for
 * multiplicative operations, a result below MIN_NORMAL from non-zero inputs is underflow (`10^{-400}` is not
 * 0). NaN makes every comparison say "not equal", so 10^{400} and 10^{401} are never confused. Real `\infty`
 * (a constant) passes through operations on it unchanged.
 */
function checked(
  inputs: readonly Complex[],
  result: Complex | null,
  multiplicative: boolean,
): Complex | null {
  if (result === null || !inputs.every(C.isFiniteComplex)) return result;
  if (!C.isFiniteComplex(result)) return C.complex(Number.NaN);
  if (multiplicative && C.abs(result) < MIN_NORMAL && inputs.every((v) => v.re !== 0 || v.im !== 0)) {
    return C.complex(Number.NaN);
  }
  return result;
}

/** A numeric literal; one that overflows or underflows float64 (`1e400`, `1e-400`) is NaN (see `checked`). */
function literal(value: number, text: string): Complex {
  if (!Number.isFinite(value) && !/^[-+]?inf/i.test(text)) return C.complex(Number.NaN);
  if (value === 0 && /[1-9]/.test(text.replace(/e.*$/i, ""))) return C.complex(Number.NaN);
  return C.complex(value);
}

function evaluateArg(args: MathJson[], k: number, bindings: Bindings): Complex | null {
  const arg = args[k];
  return arg === undefined ? null : evaluate(arg, bindings);
}

function evaluateAll(args: MathJson[], bindings: Bindings): Complex[] | null {
  const out: Complex[] = [];
  for (const a of args) {
    const v = evaluate(a, bindings);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

/**
 * Evaluates MathJSON with float64 complex arithmetic. Returns null for anything it does not know (sums,
 * integrals, subscripts, errors), so callers can fall back; never loops: time is linear in the tree's size.
 */
export function evaluate(json: MathJson, bindings: Bindings = {}): Complex | null {
  if (typeof json === "number") return C.complex(json);
  if (typeof json === "string") {
    if (json in bindings) return C.complex(bindings[json] as number);
    return CONSTANTS[json] ?? null;
  }
  if (!Array.isArray(json)) {
    if ("num" in json) {
      const text = json.num.replace(/\.\.\.$/, "").replace(/[()]/g, "");
      return literal(Number(text), text);
    }
    if ("sym" in json) return evaluate(json.sym, bindings);
    return null;
  }
  const head = json[0];
  const args = json.slice(1) as MathJson[];

  switch (head) {
    case "Add": {
      const vs = evaluateAll(args, bindings);
      return vs && vs.length > 0 ? checked(vs, vs.reduce(C.add), false) : null;
    }
    case "Multiply": {
      const vs = evaluateAll(args, bindings);
      return vs && vs.length > 0 ? checked(vs, vs.reduce(C.mul), true) : null;
    }
    case "InvisibleOperator": {
      // `2\frac{1}{2}` is the mixed number 2½ in contest answers, not 2 × ½.
      const mixed = mixedNumber(args);
      if (mixed !== null) return C.complex(mixed);
      const vs = evaluateAll(args, bindings);
      return vs && vs.length > 0 ? checked(vs, vs.reduce(C.mul), true) : null;
    }
    case "Subtract": {
      const vs = evaluateAll(args, bindings);
      if (!vs || vs.length === 0) return null;
      return vs.length === 1
        ? C.neg(vs[0] as Complex)
        : checked(vs, vs.slice(1).reduce(C.sub, vs[0] as Complex), false);
    }
    case "Negate": {
      const inner = args[0];
      // `-1\frac{1}{2}` may also parse as Negate(1 ½): the minus covers the whole mixed number either way.
      if (Array.isArray(inner) && inner[0] === "InvisibleOperator") {
        const mixed = mixedNumber(inner.slice(1) as MathJson[]);
        if (mixed !== null) return C.complex(-mixed);
      }
      const v = evaluateArg(args, 0, bindings);
      return v && C.neg(v);
    }
    case "Divide":
    case "Rational": {
      const a = evaluateArg(args, 0, bindings);
      const b = evaluateArg(args, 1, bindings);
      return a && b && checked([a, b], C.div(a, b), true);
    }
    case "Power": {
      const a = evaluateArg(args, 0, bindings);
      const b = evaluateArg(args, 1, bindings);
      return a && b && checked([a, b], C.pow(a, b), true);
    }
    case "Square": {
      const a = evaluateArg(args, 0, bindings);
      return a && checked([a], C.mul(a, a), true);
    }
    case "Sqrt": {
      const a = evaluateArg(args, 0, bindings);
      return a && C.sqrt(a);
    }
    case "Root": {
      const a = evaluateArg(args, 0, bindings);
      const n = evaluateArg(args, 1, bindings);
      return a && n && checked([a, n], C.pow(a, C.div(C.complex(1), n)), true);
    }
    case "Exp": {
      const a = evaluateArg(args, 0, bindings);
      return a && checked([a], C.exp(a), true);
    }
    case "Ln": {
      const a = evaluateArg(args, 0, bindings);
      return a && checked([a], C.log(a), false);
    }
    case "Log": {
      const a = evaluateArg(args, 0, bindings);
      if (!a) return null;
      const base = args.length > 1 ? evaluateArg(args, 1, bindings) : C.complex(10);
      return base && checked([a, base], C.div(C.log(a), C.log(base)), false);
    }
    case "Lb": {
      const a = evaluateArg(args, 0, bindings);
      return a && checked([a], C.div(C.log(a), C.complex(Math.LN2)), false);
    }
    case "Lg": {
      const a = evaluateArg(args, 0, bindings);
      return a && checked([a], C.div(C.log(a), C.complex(Math.LN10)), false);
    }
    case "Abs": {
      const a = evaluateArg(args, 0, bindings);
      return a && C.complex(C.abs(a));
    }
    case "Factorial": {
      const a = evaluateArg(args, 0, bindings);
      return a && a.im === 0 ? checked([a], C.complex(factorial(a.re)), false) : null;
    }
    case "Complex": {
      const re = evaluateArg(args, 0, bindings);
      const im = evaluateArg(args, 1, bindings) ?? C.complex(0);
      return re && C.complex(re.re, im.re);
    }
    case "Delimiter": {
      // `(x)` keeps one argument; `(1, 2)` is a tuple, which is not a number.
      const inner = args[0];
      if (args.length >= 1 && !(Array.isArray(inner) && inner[0] === "Sequence" && inner.length !== 2)) {
        return Array.isArray(inner) && inner[0] === "Sequence"
          ? evaluate(inner[1] as MathJson, bindings)
          : evaluateArg(args, 0, bindings);
      }
      return null;
    }
    case "Sequence":
      return args.length === 1 ? evaluateArg(args, 0, bindings) : null;
    case "Apply": {
      // `\tan^{-1}(1)` parses as Apply(InverseFunction(Tan), 1).
      const fn = args[0];
      if (Array.isArray(fn) && fn[0] === "InverseFunction" && typeof fn[1] === "string" && INVERSES[fn[1]]) {
        return evaluate([INVERSES[fn[1]] as string, ...(args.slice(1) as MathJson[])], bindings);
      }
      return null;
    }
    default: {
      const real = typeof head === "string" ? REAL_FUNCTIONS[head] : undefined;
      if (!real) return null;
      const a = evaluateArg(args, 0, bindings);
      return a && a.im === 0 ? checked([a], C.complex(real(a.re)), false) : null;
    }
  }
}
