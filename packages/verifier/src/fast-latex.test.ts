/**
 * The fast LaTeX parser must return exactly the Compute Engine's MathJSON, or nothing: then every verdict is
 * the one the engine-only path gives. Checked two ways over every answer we have — each case table of this
 * package's tests (every string literal in src/*.test.ts), MATH500 answers and solutions' boxed answers,
 * GSM8K answers, the bench's generated pairs, and fast-check shapes:
 * 1. parse level: wherever the fast parser answers, its MathJSON deep-equals the engine's;
 * 2. verdict level: `isEquivalent` and `grade` give the same results with the fast parser on and off.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATEGORIES, KNOWN_DISAGREEMENTS, OPTION_CASES } from "./equivalence-cases.js";
import { parseSimpleLatex } from "./fast-latex.js";
import { generatedLatexPairs } from "./generated-latex-pairs.js";
import { type EquivalenceOptions, extractAnswer, grade, isEquivalent } from "./index.js";
import { engineParseLatex, setFastLatexParse, warmUpEngine } from "./math-json.js";
import { assignedValue, normalizeAnswer } from "./normalize.js";
import { shapeOf } from "./structure.js";

/** Verdicts, not speed: a budget no comparison reaches, so a slow engine parse cannot change one. */
const NO_BUDGET: EquivalenceOptions = { budgetMs: 60_000 };

const srcDir = fileURLToPath(new URL("./", import.meta.url));
const dataDir = fileURLToPath(new URL("../../../data/", import.meta.url));
const readJsonl = <T>(p: string): T[] =>
  readFileSync(dataDir + p, "utf8")
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as T);

/** Every string literal of a test file, in source order (String.raw templates by their raw text). */
function stringLiterals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node)) out.push(node.text);
    else if (ts.isNoSubstitutionTemplateLiteral(node))
      out.push(ts.isTaggedTemplateExpression(node.parent) ? (node.rawText ?? node.text) : node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const testFiles = readdirSync(srcDir)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => srcDir + f);
const literals = testFiles.flatMap(stringLiterals).filter((s) => s.length <= 300);

interface MathRow {
  solution: string;
  answer: string;
}
const math = readJsonl<MathRow>("math500/test.jsonl");
const mathBoxed = math.map((r) => extractAnswer(r.solution)?.answer ?? "");
const gsmAnswers = [
  ...new Set(
    [
      ...readJsonl<{ answer: string }>("gsm8k/test.jsonl"),
      ...readJsonl<{ answer: string }>("gsm8k/train.jsonl"),
    ]
      .map((r) => extractAnswer(r.answer)?.answer ?? "")
      .filter((a) => a.length > 0),
  ),
];
/** The bench's generated LaTeX pairs (bench/run.ts), every 7th. */
const benchPairs = generatedLatexPairs().filter((_, i) => i % 7 === 0);

/** What an answer may hand the parser: itself, its normalised text, and the pieces of its shape. */
function parserInputs(answer: string, into: Set<string>, depth = 0): void {
  if (depth > 4 || into.has(answer)) return;
  into.add(answer);
  const text = normalizeAnswer(answer).text;
  into.add(text);
  const assigned = assignedValue(text);
  if (assigned !== null) parserInputs(assigned, into, depth + 1);
  const shape = shapeOf(text);
  const pieces =
    shape.kind === "scalar"
      ? []
      : shape.kind === "equation"
        ? [shape.lhs, shape.rhs]
        : shape.kind === "union"
          ? shape.parts
          : shape.kind === "matrix"
            ? shape.rows.flat()
            : shape.items;
  for (const p of pieces) parserInputs(p, into, depth + 1);
}

/** Strings where the fast parser's MathJSON differs from the engine's, with both. */
function parseMismatches(inputs: Iterable<string>): { accepted: number; mismatches: string[] } {
  let accepted = 0;
  const mismatches: string[] = [];
  for (const s of inputs) {
    const fast = parseSimpleLatex(s);
    if (fast === null) continue;
    accepted++;
    const engine = engineParseLatex(s);
    if (JSON.stringify(fast) !== JSON.stringify(engine))
      mismatches.push(`${JSON.stringify(s)}: fast ${JSON.stringify(fast)}, engine ${JSON.stringify(engine)}`);
  }
  return { accepted, mismatches };
}

function withFastParse<T>(enabled: boolean, fn: () => T): T {
  setFastLatexParse(enabled);
  try {
    return fn();
  } finally {
    setFastLatexParse(true);
  }
}

/** Pairs whose verdicts differ with the fast parser on and off. */
function verdictMismatches(
  pairs: readonly (readonly [string, string])[],
  check: (a: string, b: string) => unknown,
): string[] {
  const on = pairs.map(([a, b]) => JSON.stringify(check(a, b)));
  const off = withFastParse(false, () => pairs.map(([a, b]) => JSON.stringify(check(a, b))));
  return pairs.flatMap(([a, b], i) =>
    on[i] === off[i] ? [] : [`${JSON.stringify(a)} vs ${JSON.stringify(b)}: fast ${on[i]}, engine ${off[i]}`],
  );
}

const equivalent = (a: string, b: string) => isEquivalent(a, b, NO_BUDGET);
const graded = (a: string, b: string) => {
  const g = grade(a, b, NO_BUDGET);
  return [g.verdict, g.reason];
};

beforeAll(() => warmUpEngine());
afterAll(() => setFastLatexParse(true));

describe("parseSimpleLatex", () => {
  it("returns the engine's MathJSON for the common shapes", () => {
    expect(parseSimpleLatex("(x-3)(x+5)")).toEqual([
      "InvisibleOperator",
      ["Delimiter", ["Add", "x", ["Negate", 3]]],
      ["Delimiter", ["Add", "x", 5]],
    ]);
    expect(parseSimpleLatex("x^2+2x-15")).toEqual([
      "Add",
      ["Power", "x", 2],
      ["InvisibleOperator", 2, "x"],
      ["Negate", 15],
    ]);
    expect(parseSimpleLatex("x-3-4")).toEqual(["Add", ["Add", "x", ["Negate", 3]], ["Negate", 4]]);
    expect(parseSimpleLatex("2\\sqrt{13}")).toEqual(["InvisibleOperator", 2, ["Sqrt", 13]]);
    expect(parseSimpleLatex("\\sqrt[3]{x}^2")).toEqual(["Power", ["Root", "x", 3], 2]);
    expect(parseSimpleLatex("-x/2")).toEqual(["Divide", ["Negate", "x"], 2]);
    expect(parseSimpleLatex("x^23")).toEqual(["InvisibleOperator", ["Power", "x", 2], 3]);
    expect(parseSimpleLatex("8n^2 + 4n + 1")).toEqual([
      "Add",
      ["InvisibleOperator", 8, ["Power", "n", 2]],
      ["InvisibleOperator", 4, "n"],
      1,
    ]);
    expect(parseSimpleLatex("3R^2")).toEqual(["InvisibleOperator", 3, ["Power", "R", 2]]);
    expect(parseSimpleLatex("-2+-3-4+-5")).toEqual([
      "Add",
      ["Negate", 2],
      ["Negate", 3],
      ["Negate", 4],
      ["Negate", 5],
    ]);
  });

  it("leaves to the engine what it reads differently or may (refusing, not guessing)", () => {
    for (const s of [
      "G", // Catalan's constant
      "x^T", // a transpose
      "x^{T}",
      "xy",
      "f(x)",
      "2 3", // 23
      "1e3",
      "0.1(6)",
      "2^3^4",
      "--x",
      "x++1",
      "x-+1",
      "x_1",
      "1,2",
      "2\\cdot10^3",
      "495.350956917", // a {num} object to the engine
      "\\sin x",
      "x+",
      "()",
      "{}",
    ])
      expect(parseSimpleLatex(s), s).toBeNull();
  });
});

/** LaTeX expressions the fast parser is meant for, mostly inside its grammar, for the fast-check tests. */
function generatedExpression(): fc.Memo<string> {
  // Mostly inside the grammar, with its edges (10-digit numerals, upper-case letters) now and then.
  const num = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 30 }).map(String), weight: 6 },
    { arbitrary: fc.integer({ min: 0, max: 2_000_000_000 }).map(String), weight: 1 },
    {
      arbitrary: fc.tuple(fc.nat(999), fc.stringMatching(/^\d{1,7}$/)).map(([w, f]) => `${w}.${f}`),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom(
        "0",
        "00",
        "007",
        "0.0",
        "100.0",
        "2.50",
        "999999999",
        "1234567890",
        "0.000001",
      ),
      weight: 1,
    },
  );
  const letter = fc.oneof(
    { arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz".split("")), weight: 15 },
    { arbitrary: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("")), weight: 2 },
  );
  const space = fc.constantFrom("", "", "", " ", "  ");
  const digit = fc.constantFrom(..."0123456789".split(""));
  const leaf = fc.oneof(num, letter, fc.constant("\\pi"));
  // Depth-bounded (fc.memo's n counts down), so an expression stays a few dozen tokens long.
  const atom: fc.Memo<string> = fc.memo((n) =>
    n <= 0
      ? leaf
      : fc.oneof(
          leaf,
          leaf,
          fc.tuple(expr(n - 1), expr(n - 1)).map(([a, b]) => `\\frac{${a}}{${b}}`),
          expr(n - 1).map((a) => `\\sqrt{${a}}`),
          fc.tuple(expr(n - 1), expr(n - 1)).map(([d, a]) => `\\sqrt[${d}]{${a}}`),
          expr(n - 1).map((a) => `(${a})`),
          expr(n - 1).map((a) => `{${a}}`),
        ),
  );
  const factor: fc.Memo<string> = fc.memo((n) =>
    fc
      .tuple(
        atom(n),
        fc.oneof(
          { arbitrary: fc.constant(null), weight: 3 },
          { arbitrary: n <= 0 ? fc.oneof(letter, digit) : fc.oneof(letter, digit, expr(n - 1)), weight: 1 },
        ),
      )
      .map(([a, e]) => (e === null ? a : e.length === 1 ? `${a}^${e}` : `${a}^{${e}}`)),
  );
  const term: fc.Memo<string> = fc.memo((n) =>
    fc
      .tuple(
        factor(n),
        fc.array(fc.tuple(fc.constantFrom("", " ", " ", "/", " / "), factor(n)), { maxLength: 1 }),
      )
      .map(([f, rest]) => f + rest.map(([op, g]) => op + g).join("")),
  );
  const expr: fc.Memo<string> = fc.memo((n) =>
    fc
      .tuple(
        fc.constantFrom("", "", "-", "+", "- "),
        term(n),
        fc.array(fc.tuple(space, fc.constantFrom("+", "-", "+-", "+ -", "/-"), space, term(n)), {
          maxLength: 2,
        }),
      )
      .map(([sign, t, rest]) => sign + t + rest.map(([s1, op, s2, u]) => s1 + op + s2 + u).join("")),
  );
  return expr;
}

describe("differential: fast parser vs Compute Engine", () => {
  it("parse level: the same MathJSON on every test literal, MATH500, GSM8K and bench answer", () => {
    const inputs = new Set<string>();
    for (const s of [...literals, ...math.map((r) => r.answer), ...mathBoxed, ...gsmAnswers])
      parserInputs(s, inputs);
    for (const [a, b] of benchPairs) {
      parserInputs(a, inputs);
      parserInputs(b, inputs);
    }
    const { accepted, mismatches } = parseMismatches(inputs);
    expect(mismatches).toEqual([]);
    // The check has teeth: thousands of distinct inputs take the fast path.
    expect(accepted).toBeGreaterThan(1_500);
  });

  it("parse level: the same MathJSON on generated expressions (fast-check)", () => {
    const expr = generatedExpression();
    let accepted = 0;
    fc.assert(
      fc.property(expr(1), (s) => {
        const result = parseMismatches([s]);
        accepted += result.accepted;
        expect(result.mismatches).toEqual([]);
      }),
      { numRuns: 3_000, seed: 20261129 },
    );
    // Most generated strings are in the grammar (the rest: upper-case letters, long numerals, `xy`, ...).
    expect(accepted).toBeGreaterThan(1_000);
  });

  // Tests of their own, 75 runs each: together with the parse level, and then 150 runs alone (68 s with four
  // other test suites running beside it), they blocked the worker past vitest's 60 s timeouts on a loaded
  // machine, though every check passed.
  it.each([20261129, 20261130])(
    "verdict level: the same verdicts on pairs of generated expressions (fast-check, seed %i)",
    (seed) => {
      const expr = generatedExpression();
      // Answers in any shape: as they are, in a tuple, against themselves rewritten by normalisation.
      fc.assert(
        fc.property(expr(1), expr(1), fc.boolean(), (a, b, tuple) => {
          const pairs: [string, string][] = tuple
            ? [[`(${a}, ${b})`, `\\left(${b}, ${a}\\right)`]]
            : [
                [a, b],
                [a, `{${a}}`],
              ];
          expect(verdictMismatches(pairs, equivalent)).toEqual([]);
        }),
        { numRuns: 75, seed },
      );
    },
  );

  it("verdict level: the hand-written equivalence tables", () => {
    const pairs = [
      ...CATEGORIES.flatMap((c) => [...c.equal, ...c.notEqual]).map(([, p, g]) => [p, g] as const),
      ...KNOWN_DISAGREEMENTS.map((d) => [d.predicted, d.gold] as const),
    ];
    expect(verdictMismatches(pairs, equivalent)).toEqual([]);
    const optionMismatches = OPTION_CASES.filter(([, p, g, options]) => {
      const run = () => isEquivalent(p, g, { ...NO_BUDGET, ...options });
      return run() !== withFastParse(false, run);
    });
    expect(optionMismatches).toEqual([]);
  });

  it("verdict level: neighbouring string literals of every test file, compared and graded", () => {
    const pairs = literals.slice(1).map((s, i) => [literals[i] as string, s] as const);
    expect(verdictMismatches(pairs, equivalent)).toEqual([]);
    expect(verdictMismatches(pairs, graded)).toEqual([]);
  });

  it("verdict level: MATH500 answers, boxed answers, neighbours' answers, and the bench's pairs", () => {
    const pairs = math.flatMap((r, i) => [
      [mathBoxed[i] as string, r.answer] as const,
      [mathBoxed[i] as string, (math[(i + 1) % math.length] as MathRow).answer] as const,
    ]);
    expect(verdictMismatches(pairs, equivalent)).toEqual([]);
    expect(verdictMismatches(benchPairs, equivalent)).toEqual([]);
    const gsmPairs = gsmAnswers
      .slice(0, 500)
      .map((a, i) => [`\\boxed{${a}}`, gsmAnswers[i + 1] ?? a] as const);
    expect(verdictMismatches(gsmPairs, graded)).toEqual([]);
  });
});
