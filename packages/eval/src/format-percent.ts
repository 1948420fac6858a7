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

/** `v` (a fraction) in percent with `digits` decimals, halves rounded away from zero; "n/a" when not finite. */
export function formatPercent(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return "n/a";
  const scale = 10 ** digits;
  // One multiplication by 10^(2 + digits), not v * 100 then * scale: one rounding error instead of two.
  const units = Math.round(Math.abs(v) * 10 ** (2 + digits) * (1 + TIE_NUDGE));
  // The sign of v is kept even when it rounds to zero ("-0.0"), as toFixed did: a difference just below zero.
  return `${v < 0 ? "-" : ""}${(units / scale).toFixed(digits)}`;
}
