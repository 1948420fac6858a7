/**
 * Replies written as models write them (Qwen2.5's boxed answers with units, approximations, inequalities for
 * intervals, choice letters with their values), graded against the real gold answers of MATH500 and AIME 2024.
 * Each case once got the wrong verdict, or is the near miss that keeps its fix honest.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { grade } from "./grade.js";

const dataDir = fileURLToPath(new URL("../../../data/", import.meta.url));
const r = String.raw;

function goldsBy<T>(file: string, key: (row: T) => string, answer: (row: T) => string): Map<string, string> {
  const rows = readFileSync(dataDir + file, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
  return new Map(rows.map((row) => [key(row), answer(row)]));
}

const math = goldsBy<{ unique_id: string; answer: string }>(
  "math500/test.jsonl",
  (row) => row.unique_id,
  (row) => row.answer,
);
const aime = goldsBy<{ id: number; answer: string }>(
  "aime24/test.jsonl",
  (row) => String(row.id),
  (row) => row.answer,
);

/** [reply, MATH500 unique_id, `aime/<id>` or `=<gold>` (a gold written here), is the reply right] */
const CASES: readonly (readonly [string, string, boolean])[] = [
  // An exact value with its decimal approximation is the exact value; a bare approximation is a rounding.
  [r`The volume is $\boxed{288\pi \approx 904.78}$.`, "test/precalculus/1056.json", true],
  [r`\boxed{288\pi ≈ 904.78}`, "test/precalculus/1056.json", true],
  [r`\boxed{904.78}`, "test/precalculus/1056.json", false],
  [r`\boxed{\frac{14}{3} \approx 4.67}`, "test/algebra/2584.json", true],
  [r`\boxed{\frac{13}{3} \approx 4.33}`, "test/algebra/2584.json", false],
  [r`\boxed{x \approx 4.67}`, "test/algebra/2584.json", false],
  [r`\boxed{\approx 25}`, "aime/67", true],
  [r`\boxed{24.6 \approx 25}`, "aime/67", false],
  [r`\boxed{\approx 3.14}`, "test/precalculus/1199.json", false],
  // An inequality in one variable is the interval it describes.
  [r`\boxed{3 < x \le 4}`, "test/intermediate_algebra/558.json", true],
  [r`\boxed{4 \geq \lambda > 3}`, "test/intermediate_algebra/558.json", true],
  [r`\boxed{3 \le x \le 4}`, "test/intermediate_algebra/558.json", false],
  [r`\boxed{3 < x < 4}`, "test/intermediate_algebra/558.json", false],
  [r`\boxed{-2 \le x \le 7}`, "test/algebra/101.json", true],
  [r`\boxed{-2 < x \le 7}`, "test/algebra/101.json", false],
  [r`\boxed{x > 2}`, "test/intermediate_algebra/183.json", true],
  [r`\boxed{x \ge 2}`, "test/intermediate_algebra/183.json", false],
  [r`\boxed{x > 5}`, "test/intermediate_algebra/1714.json", true],
  [r`\boxed{x < 5}`, "test/intermediate_algebra/1714.json", false],
  [r`\boxed{x \le 0}`, "test/precalculus/695.json", true],
  [r`\boxed{x < 0}`, "test/precalculus/695.json", false],
  [r`\boxed{x < 2 \text{ or } x > 3}`, "test/algebra/2043.json", true],
  [r`\boxed{x < 2 \text{ and } x > 3}`, "test/algebra/2043.json", false],
  [r`\boxed{x \le 2 \text{ or } x > 3}`, "test/algebra/2043.json", false],
  // A lower and an upper bound joined by "and", and set-builder notation, are the interval too.
  [r`\boxed{\lambda > 3 \text{ and } \lambda \le 4}`, "test/intermediate_algebra/558.json", true],
  [r`\boxed{\lambda > 3 \text{ and } \lambda > 4}`, "test/intermediate_algebra/558.json", false],
  [r`\boxed{\{x \mid x > 2\}}`, "test/intermediate_algebra/183.json", true],
  [r`\boxed{\{x : x \ge 2\}}`, "test/intermediate_algebra/183.json", false],
  [r`\boxed{\{x \mid x < 2 \text{ or } x > 3\}}`, "test/algebra/2043.json", true],
  // A choice letter with its value is the letter.
  [r`\boxed{\textbf{(C)}\ 12}`, "test/precalculus/819.json", true],
  [r`\boxed{\textbf{(D)}\ 12}`, "test/precalculus/819.json", false],
  // Words: an article is not part of the answer.
  [r`\boxed{\text{an ellipse}}`, "test/intermediate_algebra/860.json", true],
  [r`\boxed{\text{a hyperbola}}`, "test/intermediate_algebra/860.json", false],
  // The cent sign is the unit the gold writes out.
  [r`\boxed{5.4¢}`, "test/prealgebra/1044.json", true],
  [r`\boxed{5.4\text{¢}}`, "test/prealgebra/1044.json", true],
  [r`\boxed{4.5¢}`, "test/prealgebra/1044.json", false],
  // Every root written as `$x = ...$` joined by "or" / "and" is the answer, not the last one alone.
  [r`The solutions are $x = 1$ or $x = -2$.`, "test/intermediate_algebra/1388.json", true],
  [r`Thus the roots are $x=3$, $x=5$ and $x=7$.`, "test/intermediate_algebra/428.json", true],
  [r`Thus the roots are $x=5$ and $x=7$.`, "test/intermediate_algebra/428.json", false],
  [r`So $n = 1$ or $n = 2$.`, "test/intermediate_algebra/1388.json", false],
  [r`So $a = 3$ and $x = 5$.`, "=5", true],
  // One value written two ways in one box is that value; two values are still two.
  [r`\boxed{\frac{3}{20} \text{ or } 0.15}`, "test/prealgebra/572.json", true],
  [r`\boxed{0.15 \text{ or } 0.16}`, "test/prealgebra/572.json", false],
  // A plain matrix environment in brackets is the matrix `bmatrix` writes.
  [r`\boxed{\left[\begin{matrix} -1 & 0 \\ 0 & -1 \end{matrix}\right]}`, "test/precalculus/920.json", true],
  [r`\boxed{\left(\begin{array}{cc} -1 & 0 \\ 0 & -1 \end{array}\right)}`, "test/precalculus/920.json", true],
  [r`\boxed{\left[\begin{matrix} 1 & 0 \\ 0 & -1 \end{matrix}\right]}`, "test/precalculus/920.json", false],
  // Bold math is its content.
  [r`\boxed{\boldsymbol{\frac{1}{4}}}`, "test/counting_and_probability/803.json", true],
  [r`\boxed{\bm{\frac{1}{5}}}`, "test/counting_and_probability/803.json", false],
  // AIME asks for a quantity (m+n): its boxed equation is its value; an equation still to solve is not.
  [r`Therefore $\boxed{m+n = 25}$.`, "aime/67", true],
  [r`\boxed{m + n = 7 + 18 = 25}`, "aime/67", true],
  [r`\boxed{\overline{AB} = 25}`, "aime/67", true],
  [r`\boxed{m+n = 24}`, "aime/67", false],
  [r`\boxed{x + 1 = 25}`, "aime/67", false],
  // A residue with its modulus, and markdown bold inside the box, are the number.
  [r`\boxed{25 \pmod{1000}}`, "aime/67", true],
  [r`\boxed{25 \text{ (mod 1000)}}`, "aime/67", true],
  [r`\boxed{**25**}`, "aime/67", true],
  [r`\boxed{26 \pmod{1000}}`, "aime/67", false],
  // `\boxed7` is LaTeX for `\boxed{7}`, as `\boxed 7` is.
  [r`So the answer is $\boxed7$.`, "=7", true],
  [r`So the answer is $\boxed7$.`, "=8", false],
  // `\text{all real numbers}` is the real line, as the bare words were.
  [r`\boxed{\text{all real numbers}}`, r`=(-\infty,\infty)`, true],
  [r`\boxed{\text{all real numbers}}`, r`=(0,\infty)`, false],
];

describe("model-style replies against MATH500 and AIME 2024 golds", () => {
  it.each(CASES)("grade(%j, gold of %s) is right: %s", (reply, id, right) => {
    const gold = id.startsWith("=")
      ? id.slice(1)
      : id.startsWith("aime/")
        ? aime.get(id.slice(5))
        : math.get(id);
    expect(gold, `no gold for ${id}`).toBeDefined();
    const result = grade(reply, gold as string, { budgetMs: 2_000 });
    expect(result.correct, JSON.stringify(result)).toBe(right);
  });
});
