import type { MathJson } from "./math-json.js";

/**
 * A small LaTeX parser for the answer shapes that reach the parser most often — integer polynomials such as
 * `(x-3)(x+5)` and `x^2+2x-15`, `2\sqrt{13}`, `\frac{\pi}{2}`, `\sqrt[3]{2}`, `3x/4` — which returns *exactly*
 * the MathJSON that the Compute Engine's `parse(latex, { canonical: false }).json` returns for them, or null
 * for anything it does not fully understand (the caller then asks the engine). Same MathJSON in, same
 * evaluation and same verdict out: this changes speed only (~0.01 ms here against 0.3–1 ms in the engine).
 *
 * Why hand-written: no library other than the Compute Engine produces the Compute Engine's MathJSON, and any
 * other tree would need its own (verdict-changing) evaluator. So this mirrors the engine's own Pratt parser
 * (compute-engine 0.30.2, `_Parser.parseExpression` / `parsePrimary` / `parseSupsub` and the `Add`,
 * `Subtract`, `Negate`, `/`, `\frac`, `\sqrt` dictionary entries) on a grammar cut down to where that
 * behaviour is simple, and refuses the corners where it is not: two adjacent letters (`xy`, `sin`), a letter
 * before `(` (function application depends on the engine's state), `G` (Catalan's constant), upper-case
 * exponents (`x^T`, a transpose), digits split by spaces (`2 3` is 23), exponent and repeating-decimal forms
 * after a number (`1e3`, `0.1(6)`), stacked superscripts (`2^3^4`), repeated signs (`--x`, `++`, `-+`),
 * subscripts, commas, `\cdot`/`\times` (`2\cdot10^3` is a number to the engine), numerals of 10 digits or more,
 * and every other command. `fast-latex.test.ts` checks the output against the engine's on every case table, the
 * MATH500/GSM8K answers and generated shapes; bump those checks with the engine's version.
 */

type Token =
  | { kind: "num"; text: string }
  | { kind: "sym"; name: string }
  | { kind: "op"; op: "+" | "-" | "/" | "^" | "(" | ")" | "{" | "}" | "[" | "]" }
  | { kind: "cmd"; name: "frac" | "sqrt" | "pi" };

/** Precedences from the engine's LaTeX dictionary. */
const ADDITION = 275;
const SUBTRACTION = ADDITION + 2;
const DIVISION = 600;
const INVISIBLE = 650;
const EXPONENTIATION = 700;

/**
 * Longest numerals taken here (digits without the point and leading zeros: `0.0012` has 2): from 10 digits on
 * the engine writes some as `{num: "..."}` objects (`495.350956917`), up to 9 always as JSON numbers.
 */
const MAX_DIGITS = 9;
/** Longer text goes to the engine (the caller caps parser input at 200 characters anyway). */
const MAX_CHARS = 200;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isLetter = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
const isLowerCase = (c: string | undefined): boolean => c !== undefined && c >= "a" && c <= "z";
/** To the engine `G` is Catalan's constant; every other letter is a plain symbol (`x^T` aside: see below). */
const isSymbolLetter = (c: string | undefined): boolean => isLetter(c) && c !== "G";
const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

function nextNonSpace(text: string, i: number): string | undefined {
  let j = i;
  while (isSpace(text[j])) j++;
  return text[j];
}

/** Tokens, or null when the text has anything outside the grammar. */
function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (isDigit(text[j])) j++;
      if (text[j] === ".") {
        if (!isDigit(text[j + 1])) return null;
        j++;
        while (isDigit(text[j])) j++;
        // `0.1(6)` may be a repeating decimal.
        if (nextNonSpace(text, j) === "(") return null;
      }
      if (
        text
          .slice(i, j)
          .replace(".", "")
          .replace(/^0+(?=\d)/, "").length > MAX_DIGITS
      )
        return null;
      const after = nextNonSpace(text, j);
      // `2 3` is 23 and `2 .5` is 2.5 to the engine; `1e3`, `2E5` are exponents; `2{,}000` a numeral.
      if (isDigit(after) || after === "." || after === "e" || after === "E" || after === "{") return null;
      tokens.push({ kind: "num", text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (isSymbolLetter(c)) {
      // `xy` and `sin` may be one name to the engine; `f(x)` may be a function call.
      if (isLetter(text[i + 1]) || nextNonSpace(text, i + 1) === "(") return null;
      tokens.push({ kind: "sym", name: c });
      i++;
      continue;
    }
    if (c === "\\") {
      let j = i + 1;
      while (isLetter(text[j])) j++;
      const name = text.slice(i + 1, j);
      if (name !== "frac" && name !== "sqrt" && name !== "pi") return null;
      if (name === "pi" && nextNonSpace(text, j) === "(") return null;
      tokens.push({ kind: "cmd", name });
      i = j;
      continue;
    }
    if (c === "+" || c === "-") {
      const after = nextNonSpace(text, i + 1);
      // `--x` is a decrement, `++` and `-+` have rules of their own; `+-` is plain (`x+-3` is Add(x, Negate(3))).
      if (after === "+" || (after === "-" && c === "-")) return null;
      tokens.push({ kind: "op", op: c });
      i++;
      continue;
    }
    if (c === "^") {
      const after = text[i + 1];
      // One character or a group: `x^23` is x^2 times 3. Anything else (`x^-1`, `x^ 2`, `x^\pi`) goes to the
      // engine, and so do upper-case exponents (`x^T` is a transpose, `x^H` may be).
      if (!(after === "{" || isLowerCase(after) || isDigit(after))) return null;
      tokens.push({ kind: "op", op: "^" });
      if (isDigit(after)) {
        tokens.push({ kind: "num", text: after as string });
        if (text[i + 2] === ".") return null;
        i += 2;
      } else i++;
      continue;
    }
    if (c === "/" || c === "(" || c === ")" || c === "{" || c === "}" || c === "[" || c === "]") {
      tokens.push({ kind: "op", op: c });
      i++;
      continue;
    }
    return null;
  }
  return tokens;
}

/** Thrown inside the parser for anything outside the grammar; parseSimpleLatex turns it into null. */
class Unsupported extends Error {}

const isOp = (t: Token | undefined, op: string): boolean => t !== undefined && t.kind === "op" && t.op === op;

/** The engine's `foldAssociativeOperator`. */
function fold(op: string, lhs: MathJson, rhs: MathJson): MathJson {
  const lhsOps = Array.isArray(lhs) && lhs[0] === op ? lhs.slice(1) : null;
  const rhsOps = Array.isArray(rhs) && rhs[0] === op ? rhs.slice(1) : null;
  return [op, ...(lhsOps ?? [lhs]), ...(rhsOps ?? [rhs])];
}

const operandsOf = (e: MathJson, op: string): MathJson[] | null =>
  Array.isArray(e) && e[0] === op ? e.slice(1) : null;

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  get atEnd(): boolean {
    return this.index >= this.tokens.length;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private expect(op: string): void {
    if (!isOp(this.peek(), op)) throw new Unsupported();
    this.index++;
  }

  /** A closing bracket or the end: where the engine's boundaries stop an expression. */
  private atBoundary(): boolean {
    const t = this.peek();
    return t === undefined || isOp(t, ")") || isOp(t, "}") || isOp(t, "]");
  }

  /** `parseExpression(until)`: a prefix operator or primary, then infix operators of precedence ≥ minPrec. */
  parseExpression(minPrec: number): MathJson | null {
    if (this.atBoundary()) return null;
    let lhs: MathJson;
    const first = this.peek();
    if (isOp(first, "-")) {
      this.index++;
      lhs = ["Negate", this.required(EXPONENTIATION + 3)];
    } else if (isOp(first, "+")) {
      this.index++;
      lhs = this.required(400);
    } else lhs = this.parsePrimary();

    for (;;) {
      if (this.atBoundary()) break;
      const t = this.peek() as Token;
      if (isOp(t, "+")) {
        if (ADDITION < minPrec) break;
        this.index++;
        lhs = fold("Add", lhs, this.required(ADDITION));
      } else if (isOp(t, "-")) {
        if (SUBTRACTION < minPrec) break;
        // The engine steps back onto the `-` and reads it as a Negate prefix: `x-3` is Add(x, Negate(3)).
        lhs = ["Add", lhs, this.required(SUBTRACTION + 1)];
      } else if (isOp(t, "/")) {
        if (DIVISION < minPrec) break;
        this.index++;
        lhs = ["Divide", lhs, this.required(DIVISION + 1)];
      } else if (t.kind === "op" && (t.op === "^" || t.op === "[")) {
        throw new Unsupported();
      } else {
        // Juxtaposition: the invisible operator, flattened as the engine flattens it.
        if (minPrec > INVISIBLE) break;
        const rhs = this.parseExpression(INVISIBLE + 1);
        if (rhs === null) throw new Unsupported();
        const l = operandsOf(lhs, "InvisibleOperator") ?? [lhs];
        const r = operandsOf(rhs, "InvisibleOperator") ?? [rhs];
        lhs = ["InvisibleOperator", ...l, ...r];
      }
    }
    return lhs;
  }

  private required(minPrec: number): MathJson {
    const e = this.parseExpression(minPrec);
    if (e === null) throw new Unsupported();
    return e;
  }

  /** `{ ... }`: its content (the engine's parseGroup). */
  private parseGroup(): MathJson {
    this.expect("{");
    const inner = this.required(0);
    this.expect("}");
    return inner;
  }

  /** `parsePrimary`: a group, number, `( ... )`, symbol or command, then at most one superscript. */
  private parsePrimary(): MathJson {
    const t = this.peek();
    if (t === undefined) throw new Unsupported();
    let result: MathJson;
    if (t.kind === "num") {
      this.index++;
      result = numberJson(t.text);
    } else if (t.kind === "sym") {
      this.index++;
      result = t.name;
    } else if (t.kind === "cmd") {
      this.index++;
      if (t.name === "pi") result = "Pi";
      else if (t.name === "frac") {
        const numer = this.parseGroup();
        result = ["Divide", numer, this.parseGroup()];
      } else {
        let degree: MathJson | null = null;
        if (isOp(this.peek(), "[")) {
          this.index++;
          degree = this.required(0);
          this.expect("]");
        }
        const base = this.parseGroup();
        result = degree === null ? ["Sqrt", base] : ["Root", base, degree];
      }
    } else if (isOp(t, "{")) {
      result = this.parseGroup();
    } else if (isOp(t, "(")) {
      this.index++;
      const body = this.required(0);
      this.expect(")");
      result = ["Delimiter", body];
    } else throw new Unsupported();

    if (isOp(this.peek(), "^")) {
      this.index++;
      const e = this.peek();
      let exponent: MathJson;
      if (isOp(e, "{")) {
        exponent = this.parseGroup();
        // `x^{T}` may be a transpose, as `x^T` is.
        if (typeof exponent === "string" && exponent !== exponent.toLowerCase()) throw new Unsupported();
      } else if (e !== undefined && (e.kind === "num" || e.kind === "sym")) {
        this.index++;
        exponent = e.kind === "num" ? numberJson(e.text) : e.name;
      } else throw new Unsupported();
      // `2^3^4` is Power(2, List(3, 4)) to the engine.
      if (isOp(this.peek(), "^")) throw new Unsupported();
      result = ["Power", result, exponent];
    }
    return result;
  }
}

/** A numeral as the engine's MathJSON writes it: `007` is 7, `2.50` is 2.5, `0.0` is 0. */
function numberJson(text: string): number {
  return Number(text);
}

/**
 * The Compute Engine's non-canonical MathJSON for `latex`, when `latex` is in the grammar above; null when it
 * is not (then only the engine can say).
 */
export function parseSimpleLatex(latex: string): MathJson | null {
  if (latex.length > MAX_CHARS) return null;
  const tokens = tokenize(latex);
  if (tokens === null || tokens.length === 0) return null;
  const parser = new Parser(tokens);
  try {
    const json = parser.parseExpression(0);
    return json !== null && parser.atEnd ? json : null;
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}
