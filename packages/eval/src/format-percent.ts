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
 * not finite or missing (null / undefined); throws for a non-number value or bad `digits`. A value strictly
 * between 0 and 1 in size never shows as 0 or 100: it gets more decimals instead (0.9995 → "99.95").
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
  const magnitude = Math.abs(v);
  let shown = digits;
  let units = roundedUnits(magnitude, shown);
  // 1,999 of 2,000 samples showed as 100.0 and 1 of 5,276 as 0.0: a reader takes those for "all" and "none".
  // A fraction strictly between 0 and 1 (in size) gets as many more decimals as it takes to be told apart from
  // both ends (99.95, 0.02); exactly 0 and 1 still show as 0.0 and 100.0.
  while (magnitude > 0 && magnitude < 1 && shown < 20 && (units === 0 || units === 100 * 10 ** shown)) {
    shown++;
    units = roundedUnits(magnitude, shown);
  }
  return `${v < 0 ? "-" : ""}${(units / 10 ** shown).toFixed(shown)}`;
}

/** |v| in units of 10^-digits percent, halves away from zero. */
function roundedUnits(magnitude: number, digits: number): number {
  // One multiplication by 10^(2 + digits), not v * 100 then * scale: one rounding error instead of two.
  return Math.round(magnitude * 10 ** (2 + digits) * (1 + TIE_NUDGE));
}
