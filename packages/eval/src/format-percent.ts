/**
 * Percentages as the reports show them. `(v * 100).toFixed(1)` rounds the binary value, so a fraction like
 * 0.4355 (871 of 2,000 samples), whose nearest double lies just below the decimal, showed as 43.5 instead of
 * 43.6.
 */

/**
 * Relative nudge that carries a value sitting on a rounding tie (up to a few ulps below it after scaling) over
 * it. A double and a product with a power of ten are each within about 1e-16 of the decimal they stand for;
 * fractions of counts that are not ties lie far more than 1e-12 from one.
 */
const TIE_NUDGE = 1e-12;

/**
 * `v` (a fraction) in percent with `digits` (integer 0..20) decimals, halves rounded away from zero; "n/a" when
 * not finite or missing (null / undefined); throws for a non-number value or bad `digits`.
 */
export function formatPercent(v: number, digits = 1): string {
  // toFixed accepts 0..100 and throws a bare RangeError; 10^(2 + digits) stays exact only for small digits.
  if (typeof digits !== "number" || !Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new RangeError(
      `formatPercent: digits must be an integer from 0 to 20 (got ${typeof digits === "number" ? digits : `${typeof digits} ${JSON.stringify(digits)}`})`,
    );
  }
  // null / undefined are missing values (NaN bounds become null in summary.json): "n/a". A numeric string is a
  // caller's bug, and "n/a" hid it.
  if (v === null || v === undefined) return "n/a";
  if (typeof v !== "number") {
    throw new TypeError(
      `formatPercent: value must be a number (got ${typeof v} ${JSON.stringify(v) ?? String(v)})`,
    );
  }
  if (!Number.isFinite(v)) return "n/a";
  const scale = 10 ** digits;
  // One multiplication by 10^(2 + digits), not v * 100 then * scale: one rounding error instead of two.
  const units = Math.round(Math.abs(v) * 10 ** (2 + digits) * (1 + TIE_NUDGE));
  // The sign of v is kept even when it rounds to zero ("-0.0"), as toFixed did: a difference just below zero.
  return `${v < 0 ? "-" : ""}${(units / scale).toFixed(digits)}`;
}
