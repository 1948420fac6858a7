import { LogitStoreError } from "./errors.js";
import { float16BitsToFloat32, float32ArrayToFloat16Bits } from "./float16.js";
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
 * Validates `rows` for example `exampleId` and appends them to `dst`. `where` prefixes errors. All checks run
 * before anything is written, so a rejected call leaves the example unchanged.
 */
export function appendTokenRows(
  dst: ColumnBuffers,
  rows: TokenRows,
  meta: LogitSchemaMeta,
  where: string,
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

  const checkId = (name: string, v: number, i: number): void => {
    if (!Number.isInteger(v) || v < 0 || v >= vocabSize) {
      throw new LogitStoreError(`${where}: ${name}[${i}] = ${v} is not a token id in [0, ${vocabSize})`);
    }
  };
  for (let i = 0; i < n; i++) checkId("tokenIds", rows.tokenIds[i]!, i);
  for (let i = 0; i < n * k; i++) checkId("topkIds", rows.topkIds[i]!, i);
  const logitAt =
    rows.topkLogits instanceof Uint16Array
      ? (i: number) => float16BitsToFloat32((rows.topkLogits as Uint16Array)[i]!)
      : (i: number) => (rows.topkLogits as ArrayLike<number>)[i]!;
  for (let t = 0; t < n; t++) {
    const base = t * k;
    let prev = logitAt(base);
    if (Number.isNaN(prev)) throw new LogitStoreError(`${where}: topkLogits[${base}] is NaN (token ${t})`);
    for (let j = 1; j < k; j++) {
      const v = logitAt(base + j);
      // `!(v <= prev)` also rejects NaN.
      if (!(v <= prev)) {
        throw new LogitStoreError(
          `${where}: topkLogits of token ${t} are not sorted descending (entry ${j} = ${v} > entry ${j - 1} = ${prev})`,
        );
      }
      prev = v;
    }
    const lse = rows.logSumExp[t]!;
    const top = logitAt(base);
    // The full-vocabulary log-sum-exp can never be below the largest logit; allow float rounding only.
    if (!Number.isFinite(lse) || lse < top - 1e-3 * Math.max(1, Math.abs(top))) {
      throw new LogitStoreError(
        `${where}: logSumExp[${t}] = ${lse} must be finite and >= the top logit ${top}`,
      );
    }
  }
  if (rows.positions) {
    for (let i = 0; i < n; i++) {
      const p = rows.positions[i]!;
      if (!Number.isInteger(p) || p < 0 || p > 2 ** 31 - 1) {
        throw new LogitStoreError(`${where}: positions[${i}] = ${p} is not a non-negative int32`);
      }
    }
  }

  dst.reserve(n);
  const r = dst.rows;
  if (rows.positions) dst.positions.set(rows.positions, r);
  else for (let i = 0; i < n; i++) dst.positions[r + i] = r + i;
  dst.tokenIds.set(rows.tokenIds, r);
  dst.topkIds.set(rows.topkIds, r * k);
  if (dst.topkLogits instanceof Uint16Array && !(rows.topkLogits instanceof Uint16Array)) {
    float32ArrayToFloat16Bits(rows.topkLogits, dst.topkLogits.subarray(r * k, (r + n) * k));
  } else {
    dst.topkLogits.set(rows.topkLogits, r * k);
  }
  dst.logSumExp.set(rows.logSumExp, r);
  dst.rows += n;
}
