/**
 * Fast path for plain numbers, which are most answers (every GSM8K and AIME answer, 311 of 500 in MATH500):
 * integers with leading zeros, thousands separators (`1,080`, `1 080`), decimals, scientific notation, `a/b`
 * and `\frac{a}{b}` with numeric parts. No LaTeX parser is involved.
 */
export interface SimpleNumber {
  value: number;
  /** For integers: the digits without sign or leading zeros, so 20-digit integers compare exactly. */
  integerDigits: string | null;
  negative: boolean;
}

const DECIMAL = /^([-+])?(\d+(?:,\d{3})*|\d{1,3}(?: \d{3})+)?(\.\d+)?(?:[eE]([-+]?\d+))?$/;
const FRACTION =
  /^([-+])?\s*(?:\\frac\{\s*(-?\d+(?:\.\d+)?)\s*\}\{\s*(-?\d+(?:\.\d+)?)\s*\}|(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?))$/;

/**
 * A mixed number written with a space, `1 1/2` = 3/2 (`-1 1/2` = -3/2: the sign covers the whole number), as
 * Math-Verify reads it; the whole part may have spaced thousands (`1 000 4/9`). Only a proper fraction: `11 7/6`
 * is not a mixed number.
 */
const MIXED = /^([-+])?(\d{1,3}(?: \d{3})+|\d+)\s+(\d+)\s*\/\s*(\d+)$/;

function mixed(text: string): SimpleNumber | null {
  const m = MIXED.exec(text);
  if (!m) return null;
  const whole = Number((m[2] as string).replace(/ /g, ""));
  const num = Number(m[3]);
  const den = Number(m[4]);
  if (!(den > 0) || num >= den) return null;
  const value = (m[1] === "-" ? -1 : 1) * (whole + num / den);
  if (!Number.isFinite(value)) return null;
  return { value, integerDigits: null, negative: value < 0 };
}

function decimal(text: string): SimpleNumber | null {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined)) return null;
  // `1,08` is not a thousands separator: DECIMAL only accepts groups of exactly three digits.
  const negative = m[1] === "-";
  const intPart = (m[2] ?? "0").replace(/[, ]/g, "");
  const value = Number(
    `${negative ? "-" : ""}${intPart}${m[3] ?? ""}${m[4] !== undefined ? `e${m[4]}` : ""}`,
  );
  // `1e400` overflows to Infinity and `1e-400` underflows to 0: float64 cannot tell them from their
  // neighbours (1e401, 0), so they are not plain numbers; the exact comparisons decide them.
  if (!Number.isFinite(value)) return null;
  if (value === 0 && /[1-9]/.test(`${m[2] ?? ""}${m[3] ?? ""}`)) return null;
  const isInteger = m[3] === undefined && m[4] === undefined;
  const digits = isInteger ? intPart.replace(/^0+(?=\d)/, "") : null;
  return { value, integerDigits: digits, negative: negative && digits !== "0" };
}

export function parseSimpleNumber(text: string): SimpleNumber | null {
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return null;
  const d = decimal(t);
  if (d) return d;
  const f = FRACTION.exec(t);
  if (!f) return mixed(t);
  const num = Number(f[2] ?? f[4]);
  const den = Number(f[3] ?? f[5]);
  if (den === 0) return null;
  const value = (f[1] === "-" ? -1 : 1) * (num / den);
  if (!Number.isFinite(value) || (value === 0 && num !== 0)) return null;
  return { value, integerDigits: null, negative: value < 0 };
}

/** Float64 holds every integer up to 2^53 exactly; below it a written integer can be compared exactly. */
export const EXACT_INTEGER_LIMIT = Number.MAX_SAFE_INTEGER;
/**
 * Relative float64 rounding residue forgiven against a written integer: a few operations lose far less, and a
 * printed float such as `11.999999999999998` (tool output) is 12 up to it.
 */
export const INTEGER_RESIDUE = 1e-12;

/**
 * Equality of two plain numbers: exact for integers, within tolerance otherwise. With `exactIntegers` (the
 * default tolerances), a written integer is exact against any plain number too, up to float64 residue:
 * `1000000.5` is not `1000000`, though it is within the relative tolerance of 1e-6; `1e6`, `5.00`,
 * `\frac{14}{2}` and `11.999999999999998` still equal theirs.
 */
export function simpleNumbersEqual(
  a: SimpleNumber,
  b: SimpleNumber,
  rel: number,
  absTol: number,
  exactIntegers = false,
): boolean {
  if (a.integerDigits !== null && b.integerDigits !== null) {
    return a.integerDigits === b.integerDigits && a.negative === b.negative;
  }
  if (
    exactIntegers &&
    (a.integerDigits !== null || b.integerDigits !== null) &&
    Math.abs(a.value) <= EXACT_INTEGER_LIMIT &&
    Math.abs(b.value) <= EXACT_INTEGER_LIMIT
  ) {
    return Math.abs(a.value - b.value) <= INTEGER_RESIDUE * Math.max(Math.abs(a.value), Math.abs(b.value));
  }
  return numbersClose(a.value, b.value, rel, absTol);
}

/** Within `rel` of the larger magnitude, or within `absTol` (0 by default: see EquivalenceOptions). */
export function numbersClose(a: number, b: number, rel: number, absTol: number): boolean {
  // NaN and overflowed values are never "close": Infinity === Infinity would equate 10^400 and 10^401.
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= Math.max(absTol, rel * Math.max(Math.abs(a), Math.abs(b)));
}
