import type { LogitLayout } from "./arrow-schema.js";
import { LogitStoreError } from "./errors.js";
import { float16BitsToFloat32Array } from "./float16.js";
import type { LogitSchemaMeta } from "./schema-meta.js";
import { LSE_CEILING_HINT, LSE_CEILING_TEXT, LSE_TOLERANCE, lseCeiling } from "./token-rows.js";

/** A decoded record batch's columns as flat, row-major arrays (float16 logits as bits). */
export interface BatchColumns {
  rows: number;
  positions: Int32Array;
  tokenIds: Int32Array;
  topkIds: Int32Array;
  topkLogits: Float32Array | Uint16Array;
  logSumExp: Float32Array;
}

/**
 * The row checks a reader runs on every record batch it decodes. Our writer refuses bad rows, but a store written
 * by another program (pyarrow from Python, say) has had no such check, and the CRC-32s it records only say the
 * bytes are the ones it wrote: an unsorted row, a NaN logit or a log-sum-exp below the row's own top logit would
 * otherwise reach a trainer as a NaN loss or a negative tail mass, far from the file that caused it. Only checks
 * without `Math.exp` run here (about 10 M rows per second), so reads stay fast; `verifyAll` adds the writer's
 * full checks. `exampleAt(row)` names the example a row belongs to (from the exampleId column).
 */
export function checkStoredRows(
  cols: BatchColumns,
  meta: LogitSchemaMeta,
  layout: LogitLayout,
  where: string,
  exampleAt: (row: number) => string,
): void {
  const { k, vocabSize, dtype } = meta;
  const logitColumn =
    layout === "steps" ? '"topkLogits" (decoded from topkLogitMax and topkLogitSteps)' : '"topkLogits"';
  const fail = (row: number, what: string): never => {
    throw new LogitStoreError(
      `${where} row ${row} (example ${JSON.stringify(exampleAt(row))}, position ${cols.positions[row]}): ${what}`,
    );
  };
  // Separate monomorphic passes over typed arrays, each only naming its row once it finds a bad value: several
  // times faster than one loop that checks everything per row.
  const n = cols.rows;
  for (let r = 0; r < n; r++) {
    if (cols.positions[r]! < 0) fail(r, `column "position" = ${cols.positions[r]} is negative`);
  }
  for (let r = 0; r < n; r++) {
    const token = cols.tokenIds[r]!;
    if (token < 0 || token >= vocabSize)
      fail(r, `column "tokenId" = ${token} is not a token id in [0, ${vocabSize})`);
  }
  const ids = cols.topkIds;
  for (let i = 0; i < n * k; i++) {
    const id = ids[i]!;
    // One unsigned comparison: a negative id wraps to above any vocabulary size.
    if (id >>> 0 >= vocabSize) {
      fail(
        Math.floor(i / k),
        `column "topkIds" entry ${i % k} = ${id} is not a token id in [0, ${vocabSize})`,
      );
    }
  }
  // Steps (format 2) decode to a non-increasing row by construction, starting at the stored top logit: only that
  // top needs decoding and checking. Plain columns are checked entry by entry.
  const steps = layout === "steps" && cols.topkLogits instanceof Uint16Array;
  const logits = steps
    ? float16BitsToFloat32Array(topLogitBits(cols.topkLogits as Uint16Array, n, k), scratch(n))
    : cols.topkLogits instanceof Uint16Array
      ? float16BitsToFloat32Array(cols.topkLogits, scratch(n * k))
      : cols.topkLogits;
  const stride = steps ? 1 : k;
  const tol = LSE_TOLERANCE[dtype];
  const logVocab = Math.log(vocabSize);
  for (let r = 0, base = 0; r < n; r++, base += stride) {
    const top = logits[base]!;
    let prev = top;
    for (let j = base + 1, end = base + stride; j < end; j++) {
      const v = logits[j]!;
      // `!(v <= prev)` is also true for NaN (top included: NaN <= x is false).
      if (!(v <= prev)) unsortedRow(r, base, logits);
      prev = v;
    }
    if (Number.isNaN(top)) fail(r, `column ${logitColumn} entry 0 is NaN`);
    const lse = cols.logSumExp[r]!;
    // The log-sum-exp over the whole vocabulary is at least its largest logit (same tolerance as the writer's).
    // Written as !(a >= b) so that NaN, and a +Infinity top logit (Infinity - Infinity = NaN), fail too.
    if (!(lse >= top - tol * Math.max(1, Math.abs(top), Math.abs(lse)))) {
      if (!Number.isFinite(lse)) fail(r, `column "logSumExp" = ${lse} is not a finite number`);
      fail(
        r,
        `column "logSumExp" = ${lse} is below the row's top logit ${top}; it must be log Σ exp(logit) over the full vocabulary, which is never below its largest logit`,
      );
    }
    if (lse === Number.POSITIVE_INFINITY) fail(r, `column "logSumExp" = ${lse} is not a finite number`);
    if (!(lse <= lseCeiling(top, logVocab, dtype, lse))) {
      fail(
        r,
        `column "logSumExp" = ${lse} is above ${LSE_CEILING_TEXT(top, vocabSize)}; ${LSE_CEILING_HINT}`,
      );
    }
  }

  function unsortedRow(r: number, base: number, values: Float32Array): never {
    for (let j = 0; j < k; j++) {
      if (Number.isNaN(values[base + j]!)) fail(r, `column ${logitColumn} entry ${j} is NaN`);
    }
    for (let j = 1; j < k; j++) {
      const v = values[base + j]!;
      const prev = values[base + j - 1]!;
      if (v > prev)
        fail(
          r,
          `column ${logitColumn} is not sorted descending (entry ${j} = ${v} > entry ${j - 1} = ${prev})`,
        );
    }
    return fail(r, `column ${logitColumn} is not sorted descending`);
  }
}

/** Entry 0 of each of n rows of k float16 bit patterns. */
function topLogitBits(bits: Uint16Array, n: number, k: number): Uint16Array {
  const top = new Uint16Array(n);
  for (let r = 0; r < n; r++) top[r] = bits[r * k]!;
  return top;
}

/** One buffer reused for float16 logits decoded to float32 (grown as needed; the checks are synchronous). */
let scratchBuffer = new Float32Array(0);
function scratch(length: number): Float32Array {
  if (scratchBuffer.length < length) scratchBuffer = new Float32Array(length);
  return scratchBuffer.subarray(0, length);
}
