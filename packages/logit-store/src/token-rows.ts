import { LogitStoreError } from "./errors.js";
import { float16BitsToFloat32Array, float32ArrayToFloat16Bits } from "./float16.js";
import type { LogitSchemaMeta } from "./schema-meta.js";

/**
 * Rows for some tokens of one example, as the teacher step produces them: n tokens, each with k entries.
 * Flat arrays are row-major: entry j of token i is at [i * k + j].
 */
export interface TokenRows {
  /** Position of each token in the reply; defaults to continuing the example's count (0, 1, 2, ...). */
  positions?: ArrayLike<number>;
  /** The target (sampled) token id of each row. Its length is n. */
  tokenIds: ArrayLike<number>;
  /** n * k top-k token ids, highest logit first. */
  topkIds: ArrayLike<number>;
  /**
   * n * k raw logits at temperature 1, sorted descending within each row. Plain numbers or a Float32Array are
   * converted to the store's dtype; a Uint16Array is taken as float16 bits and only accepted by float16 stores.
   */
  topkLogits: Float32Array | Uint16Array | ArrayLike<number>;
  /** Log-sum-exp of the full-vocabulary logits at temperature 1, per row. */
  logSumExp: ArrayLike<number>;
}

/** Growable column storage for rows in the store's physical layout. */
export class ColumnBuffers {
  rows = 0;
  positions: Int32Array;
  tokenIds: Int32Array;
  topkIds: Int32Array;
  topkLogits: Float32Array | Uint16Array;
  logSumExp: Float32Array;

  constructor(
    readonly k: number,
    readonly dtype: LogitSchemaMeta["dtype"],
    capacity: number,
  ) {
    const cap = Math.max(1, capacity);
    this.positions = new Int32Array(cap);
    this.tokenIds = new Int32Array(cap);
    this.topkIds = new Int32Array(cap * k);
    this.topkLogits = dtype === "float16" ? new Uint16Array(cap * k) : new Float32Array(cap * k);
    this.logSumExp = new Float32Array(cap);
  }

  get capacity(): number {
    return this.positions.length;
  }

  /** Makes room for `extra` more rows, doubling so appends stay amortised O(1). */
  reserve(extra: number): void {
    const need = this.rows + extra;
    if (need <= this.capacity) return;
    let cap = this.capacity;
    while (cap < need) cap *= 2;
    const k = this.k;
    this.positions = grow(this.positions, new Int32Array(cap));
    this.tokenIds = grow(this.tokenIds, new Int32Array(cap));
    this.topkIds = grow(this.topkIds, new Int32Array(cap * k));
    this.topkLogits =
      this.topkLogits instanceof Uint16Array
        ? grow(this.topkLogits, new Uint16Array(cap * k))
        : grow(this.topkLogits, new Float32Array(cap * k));
    this.logSumExp = grow(this.logSumExp, new Float32Array(cap));
  }

  /** Copies all rows of `src` (same k and dtype) after the current ones. */
  appendBuffers(src: ColumnBuffers): void {
    const n = src.rows;
    this.reserve(n);
    const r = this.rows;
    const k = this.k;
    this.positions.set(src.positions.subarray(0, n), r);
    this.tokenIds.set(src.tokenIds.subarray(0, n), r);
    this.topkIds.set(src.topkIds.subarray(0, n * k), r * k);
    this.topkLogits.set(src.topkLogits.subarray(0, n * k), r * k);
    this.logSumExp.set(src.logSumExp.subarray(0, n), r);
    this.rows += n;
  }

  /** Bytes the rows occupy in the file's data buffers (excluding the example id column). */
  bytesPerRow(): number {
    return 12 + this.k * (4 + (this.dtype === "float16" ? 2 : 4));
  }

  clear(): void {
    this.rows = 0;
  }
}

function grow<T extends Int32Array | Float32Array | Uint16Array>(old: T, next: T): T {
  next.set(old);
  return next;
}

/**
 * Validates `rows` and appends them to `dst`. `where` prefixes errors; `firstPosition` is the default position
 * of the first row (the example's rows so far). All checks run before `dst.rows` moves, so a rejected call
 * leaves `dst` unchanged.
 */
export function appendTokenRows(
  dst: ColumnBuffers,
  rows: TokenRows,
  meta: LogitSchemaMeta,
  where: string,
  firstPosition: number = dst.rows,
): void {
  const { k, vocabSize } = meta;
  const n = rows.tokenIds.length;
  const expectLen = (name: string, arr: ArrayLike<number> | undefined, len: number): void => {
    if (arr === undefined) return;
    if (arr.length !== len) {
      throw new LogitStoreError(
        `${where}: "${name}" has ${arr.length} values, expected ${len} (${n} tokens${len === n ? "" : ` x k=${k}`})`,
      );
    }
  };
  expectLen("positions", rows.positions, n);
  expectLen("topkIds", rows.topkIds, n * k);
  expectLen("topkLogits", rows.topkLogits, n * k);
  expectLen("logSumExp", rows.logSumExp, n);
  if (meta.dtype === "float32" && rows.topkLogits instanceof Uint16Array) {
    throw new LogitStoreError(
      `${where}: "topkLogits" is a Uint16Array (float16 bits) but the store's dtype is float32; pass a Float32Array`,
    );
  }

  // Copy into the reserved space first and validate the typed copies: monomorphic loops over typed arrays are
  // several times faster than generic ones. `dst.rows` only moves once everything has passed.
  dst.reserve(n);
  const r = dst.rows;
  const ids = dst.topkIds.subarray(r * k, (r + n) * k);
  const tokens = dst.tokenIds.subarray(r, r + n);
  const lses = dst.logSumExp.subarray(r, r + n);
  const positions = dst.positions.subarray(r, r + n);
  if (!(rows.tokenIds instanceof Int32Array)) checkIntegers(rows.tokenIds, "tokenIds", where);
  if (!(rows.topkIds instanceof Int32Array)) checkIntegers(rows.topkIds, "topkIds", where);
  tokens.set(rows.tokenIds);
  ids.set(rows.topkIds);
  lses.set(rows.logSumExp);
  checkIdRange(tokens, vocabSize, "tokenIds", where);
  checkIdRange(ids, vocabSize, "topkIds", where);

  let values: Float32Array;
  if (dst.topkLogits instanceof Float32Array) {
    values = dst.topkLogits.subarray(r * k, (r + n) * k);
    values.set(rows.topkLogits);
  } else if (rows.topkLogits instanceof Float32Array) {
    values = rows.topkLogits;
  } else if (rows.topkLogits instanceof Uint16Array) {
    values = float16BitsToFloat32Array(rows.topkLogits);
  } else {
    values = Float32Array.from(rows.topkLogits);
  }
  checkLogits(values, lses, k, where);

  if (rows.positions) {
    if (!(rows.positions instanceof Int32Array)) checkIntegers(rows.positions, "positions", where);
    positions.set(rows.positions);
    for (let i = 0; i < n; i++) {
      if (positions[i]! < 0) {
        throw new LogitStoreError(
          `${where}: positions[${i}] = ${rows.positions[i]} is not a non-negative int32`,
        );
      }
    }
  } else {
    for (let i = 0; i < n; i++) positions[i] = firstPosition + i;
  }
  if (dst.topkLogits instanceof Uint16Array) {
    const out = dst.topkLogits.subarray(r * k, (r + n) * k);
    if (rows.topkLogits instanceof Uint16Array) out.set(rows.topkLogits);
    else float32ArrayToFloat16Bits(values, out);
  }
  dst.rows += n;
}

function checkIntegers(values: ArrayLike<number>, name: string, where: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new LogitStoreError(`${where}: ${name}[${i}] = ${v} is not an int32`);
    }
  }
}

function checkIdRange(ids: Int32Array, vocabSize: number, name: string, where: string): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (v < 0 || v >= vocabSize) {
      throw new LogitStoreError(`${where}: ${name}[${i}] = ${v} is not a token id in [0, ${vocabSize})`);
    }
  }
}

/** Each row sorted descending, no NaN, and a finite log-sum-exp not below the row's top logit. */
function checkLogits(values: Float32Array, lses: Float32Array, k: number, where: string): void {
  for (let t = 0, base = 0; t < lses.length; t++, base += k) {
    const top = values[base]!;
    let prev = top;
    for (let j = 1; j < k; j++) {
      const v = values[base + j]!;
      // `!(v <= prev)` also rejects NaN.
      if (!(v <= prev)) {
        throw new LogitStoreError(
          `${where}: topkLogits of token ${t} are not sorted descending (entry ${j} = ${v} > entry ${j - 1} = ${prev})`,
        );
      }
      prev = v;
    }
    const lse = lses[t]!;
    // The full-vocabulary log-sum-exp is never below the largest logit; allow float rounding only.
    if (!(lse - top >= -1e-3 * Math.max(1, Math.abs(top))) || lse === Number.POSITIVE_INFINITY) {
      throw new LogitStoreError(
        `${where}: logSumExp[${t}] = ${lse} must be finite and >= the top logit ${top}`,
      );
    }
  }
}
