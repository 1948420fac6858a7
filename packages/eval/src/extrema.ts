/**
 * Min and max by a loop. `Math.max(...values)` passes every value as an argument, which overflows the call
 * stack for data-sized arrays (about 100k+ values; a 500,000-sample summary threw "Maximum call stack size
 * exceeded"). Same results as Math.min / Math.max: Infinity / -Infinity when empty, NaN if any value is NaN.
 */

export function minOf(values: Iterable<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    if (v < m) m = v;
  }
  return m;
}

export function maxOf(values: Iterable<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    if (v > m) m = v;
  }
  return m;
}
