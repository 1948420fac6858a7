/**
 * `288\pi \approx 904.78`, `\frac{14}{3} \approx 4.67`, `\approx 25`: an answer with its decimal approximation.
 * The exact value written before the first `\approx` is the answer (the decimal is a rounding of it, and graded
 * alone it is not the exact gold); with nothing but a name before it (`x \approx 4.67`, or a bare `\approx 25`),
 * the value after it is. Either way it is compared with the usual tolerance, so a rounding stays a rounding:
 * `x \approx 4.67` is not `\frac{14}{3}`. Before this the whole text was compared and matched no gold.
 */
const APPROX = /\\approx(?![a-zA-Z])|\\simeq(?![a-zA-Z])/;

/** A lone name (`x`, `A`, `\theta`, `x_1`), or a name with an `=`: what a value is written after. */
const NAME_BEFORE = /^(?:(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)\s*=?\s*)?$/;

export function withoutApproximation(text: string): string {
  if (!APPROX.test(text)) return text;
  const parts = text.split(APPROX).map((part) => part.trim());
  const first = parts[0] as string;
  if (!NAME_BEFORE.test(first)) return first;
  const value = parts.slice(1).find((part) => part.length > 0);
  return value === undefined ? text : value;
}
