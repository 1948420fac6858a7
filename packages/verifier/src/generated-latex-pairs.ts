/**
 * The bench's generated LaTeX pairs, every one equivalent and written differently from its partner, so each
 * check goes past the string short-cut to the parser: `\dfrac{a}{b}` vs a decimal, `k\sqrt{m}` vs
 * `\sqrt{k^2 m}`, `(x-a)(x+b)` vs its expansion, and a tuple with a fraction vs its decimal form. Shared with
 * fast-latex.test.ts, which checks the fast parser on the same shapes the bench measures.
 */
export function generatedLatexPairs(count = 1_500): [string, string][] {
  return Array.from({ length: count }, (_, i) => {
    const a = (i % 97) + 2;
    const b = (i % 89) + 3;
    const k = (i % 7) + 2;
    const m = [2, 3, 5, 6, 7, 10, 11, 13][i % 8] as number;
    return [
      [`\\dfrac{${a}}{${b}}`, String(a / b)],
      [`${k}\\sqrt{${m}}`, `\\sqrt{${k * k * m}}`],
      [`(x-${a})(x+${b})`, `x^2+${b - a}x-${a * b}`],
      [`\\left(${a}, \\frac{${b}}{${k}}\\right)`, `(${a}, ${b / k})`],
    ] as [string, string][];
  }).flat();
}
