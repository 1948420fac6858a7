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
  /** True while this (per-example) buffer's positions are strictly increasing: then no repeat is possible. */
  positionsAscending = true;
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
    this.positionsAscending = true;
  }
}

function grow<T extends Int32Array | Float32Array | Uint16Array>(old: T, next: T): T {
  next.set(old);
  return next;
}

/**
 * Validates `rows` and appends them to `dst`. `where` prefixes errors; `exampleStart` is the row of `dst` where
 * this example's rows begin (0 for a per-example buffer), so new rows default to continuing its positions and
 * a position it already has is refused. All checks run before `dst.rows` moves, so a rejected call leaves `dst`
 * unchanged.
 */
export function appendTokenRows(
  dst: ColumnBuffers,
  rows: TokenRows,
  meta: LogitSchemaMeta,
  where: string,
  exampleStart = 0,
): void {
  checkRowsShape(rows, where);
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
  // Typed-array `set` converts anything: `null` (Python's None) became a logit or log-sum-exp of 0, `"3.5"` 3.5.
  if (!ArrayBuffer.isView(rows.topkLogits)) checkNumbers(rows.topkLogits, "topkLogits", where);
  if (!ArrayBuffer.isView(rows.logSumExp)) checkNumbers(rows.logSumExp, "logSumExp", where);
  if (!(rows.tokenIds instanceof Int32Array)) checkIntegers(rows.tokenIds, "tokenIds", where);
  if (!(rows.topkIds instanceof Int32Array)) checkIntegers(rows.topkIds, "topkIds", where);
  tokens.set(rows.tokenIds);
  ids.set(rows.topkIds);
  lses.set(rows.logSumExp);
  checkIdRange(tokens, vocabSize, "tokenIds", where);
  checkIdRange(ids, vocabSize, "topkIds", where);

  // Positions first: the logit checks below name each bad row by its position.
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
    for (let i = 0; i < n; i++) positions[i] = r - exampleStart + i;
  }
  checkRepeatedPositions(dst, exampleStart, n, where);
  checkRepeatedIds(ids, k, vocabSize, positions, where);

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
  checkFiniteRange(rows.topkLogits, values, meta.dtype, k, positions, where);
  checkLogits(values, lses, k, meta.dtype, vocabSize, positions, where);

  if (dst.topkLogits instanceof Uint16Array) {
    const out = dst.topkLogits.subarray(r * k, (r + n) * k);
    if (rows.topkLogits instanceof Uint16Array) out.set(rows.topkLogits);
    else float32ArrayToFloat16Bits(values, out);
  }
  dst.rows += n;
}

/** A value as an error shows it: `the string "1"` is not the number 1 it printed as before. */
function shown(v: unknown): string {
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : String(v);
}

const REQUIRED_COLUMNS = ["tokenIds", "topkIds", "topkLogits", "logSumExp"] as const;

/**
 * `rows` is an object whose columns are arrays or typed arrays (`positions` may be left out): anything else
 * (null, a missing column, a number) was a TypeError from inside the copy, naming neither the example nor the field.
 */
export function checkRowsShape(rows: unknown, where: string): asserts rows is TokenRows {
  if (typeof rows !== "object" || rows === null) {
    throw new LogitStoreError(
      `${where}: rows must be an object with tokenIds, topkIds, topkLogits and logSumExp, found ${rows === null ? "null" : typeof rows}`,
    );
  }
  const record = rows as Record<string, unknown>;
  const columns: readonly string[] =
    record.positions === undefined ? REQUIRED_COLUMNS : [...REQUIRED_COLUMNS, "positions"];
  for (const name of columns) {
    const column = record[name];
    if (!Array.isArray(column) && !ArrayBuffer.isView(column)) {
      const found =
        column === undefined ? "nothing (the field is missing)" : column === null ? "null" : typeof column;
      throw new LogitStoreError(`${where}: "${name}" must be an array or a typed array, found ${found}`);
    }
  }
}

function checkNumbers(values: ArrayLike<unknown>, name: string, where: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number")
      throw new LogitStoreError(`${where}: ${name}[${i}] = ${shown(v)} is not a number`);
  }
}

function checkIntegers(values: ArrayLike<number>, name: string, where: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new LogitStoreError(`${where}: ${name}[${i}] = ${shown(v)} is not an int32`);
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

/** Largest finite float16 value; a larger logit would be stored as Infinity. */
const FLOAT16_MAX = 65504;

/**
 * A finite input logit must stay finite in the store: float16 tops out at 65504 and float32 at ~3.4e38, and
 * past that the conversion silently yields Infinity. (-Infinity, a masked token, is kept as given.)
 */
function checkFiniteRange(
  input: ArrayLike<number>,
  values: Float32Array,
  dtype: LogitSchemaMeta["dtype"],
  k: number,
  positions: Int32Array,
  where: string,
): void {
  if (input instanceof Uint16Array && dtype === "float16") return; // already float16 bits
  const max = dtype === "float16" ? FLOAT16_MAX : 3.4028234663852886e38;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const outside = v === Number.NEGATIVE_INFINITY ? input[i] !== v : v > max || v < -max;
    if (outside) {
      const t = Math.floor(i / k);
      throw new LogitStoreError(
        `${where}: topkLogits of token ${t} (position ${positions[t]}) entry ${i % k} = ${input[i]} is outside the ${dtype} store's finite range (|logit| <= ${max})`,
      );
    }
  }
}

/**
 * Relative tolerance of the log-sum-exp check. A float32 log-sum-exp over a whole vocabulary (the model's
 * ReduceLogSumExp, or JavaScript's sum) carries rounding of a few 1e-6 times its magnitude, and when the top-k
 * hold nearly all the mass their own log-sum-exp is within that of it; float16 stores also round each logit by
 * up to 2^-11 of its magnitude. Each bound leaves a margin of several times that error.
 */
export const LSE_TOLERANCE: Record<LogitSchemaMeta["dtype"], number> = {
  float32: 2 ** -13,
  float16: 2 ** -9,
};

/**
 * Each row sorted descending, no NaN, and a finite log-sum-exp over the full vocabulary that is not below the
 * log-sum-exp of the row's own top-k logits (a subset of the vocabulary), up to rounding: otherwise the stored
 * top-k probabilities would sum to more than 1 and read back as nonsense (log-probs near 0, tail mass 0).
 */
function checkLogits(
  values: Float32Array,
  lses: Float32Array,
  k: number,
  dtype: LogitSchemaMeta["dtype"],
  vocabSize: number,
  positions: Int32Array,
  where: string,
): void {
  const logVocab = Math.log(vocabSize);
  for (let t = 0, base = 0; t < lses.length; t++, base += k) {
    const top = values[base]!;
    let prev = top;
    for (let j = 0; j < k; j++) {
      const v = values[base + j]!;
      // Named as NaN, not as unsorted: a teacher's NaN logits (float16 overflow, say) are a different bug to look
      // for than a sorting one, and "entry 1 = NaN > entry 0 = 3" sent users after the latter.
      if (Number.isNaN(v)) {
        throw new LogitStoreError(
          `${where}: topkLogits of token ${t} (position ${positions[t]}) entry ${j} is NaN`,
        );
      }
      if (j > 0 && !(v <= prev)) {
        throw new LogitStoreError(
          `${where}: topkLogits of token ${t} (position ${positions[t]}) are not sorted descending (entry ${j} = ${v} > entry ${j - 1} = ${prev})`,
        );
      }
      prev = v;
    }
    const lse = lses[t]!;
    if (!Number.isFinite(lse)) {
      throw new LogitStoreError(
        `${where}: logSumExp[${t}] (position ${positions[t]}) = ${lse} is not a finite number`,
      );
    }
    // Log-sum-exp of the k stored logits, in float64 around the top one (which may be -Infinity: all masked).
    let sum = 0;
    if (top !== Number.NEGATIVE_INFINITY)
      for (let j = 0; j < k; j++) sum += Math.exp(values[base + j]! - top);
    const topkLse = top === Number.NEGATIVE_INFINITY ? top : top + Math.log(sum);
    const tol = LSE_TOLERANCE[dtype] * Math.max(1, Math.abs(top), Math.abs(lse));
    if (!(lse >= topkLse - tol)) {
      throw new LogitStoreError(
        `${where}: logSumExp[${t}] (position ${positions[t]}) = ${lse} is below the log-sum-exp ${topkLse.toPrecision(7)} of that token's own top-k logits; it must cover the full vocabulary (the row is inconsistent)`,
      );
    }
    const most = lseCeiling(top, logVocab, dtype, lse);
    if (!(lse <= most)) {
      throw new LogitStoreError(
        `${where}: logSumExp[${t}] (position ${positions[t]}) = ${lse} is above ${LSE_CEILING_TEXT(top, vocabSize)}; ${LSE_CEILING_HINT}`,
      );
    }
  }
}

/**
 * The largest log-sum-exp a row can have (logVocab = ln(vocabSize)): the top-k hold the k largest logits, so each of the vocabSize logits is
 * at most the top one and the log-sum-exp at most top + ln(vocabSize) (plus the same rounding tolerance as the
 * lower bound). A row whose top logit is -Infinity therefore cannot have a finite log-sum-exp.
 */
export function lseCeiling(
  top: number,
  logVocab: number,
  dtype: LogitSchemaMeta["dtype"],
  lse: number,
): number {
  const tol = LSE_TOLERANCE[dtype] * Math.max(1, Math.abs(top), Math.abs(lse));
  return top + logVocab + tol;
}

export const LSE_CEILING_TEXT = (top: number, vocabSize: number): string =>
  `the row's top logit ${top} + ln(vocabSize ${vocabSize}), the most a log-sum-exp over the vocabulary can be`;

/** What usually makes a log-sum-exp too large for its row. */
export const LSE_CEILING_HINT =
  "topkLogits must be the raw logits (or log-probabilities, with logSumExp 0) of the k most likely tokens, not probabilities, logits divided by a temperature, or another row's";

/** Within one token's top-k list every id appears once (a repeat would count its probability twice). */
let idStamps = new Int32Array(0);
let stampRound = 0;

function checkRepeatedIds(
  ids: Int32Array,
  k: number,
  vocabSize: number,
  positions: Int32Array,
  where: string,
): void {
  if (k === 1) return;
  // One stamp array shared across calls: a row is checked in O(k) without clearing or sorting anything.
  if (idStamps.length < vocabSize) {
    idStamps = new Int32Array(vocabSize);
    stampRound = 0;
  }
  for (let t = 0, base = 0; base < ids.length; t++, base += k) {
    if (stampRound >= 0x7ffffffe) {
      idStamps.fill(0);
      stampRound = 0;
    }
    const round = ++stampRound;
    for (let j = 0; j < k; j++) {
      const id = ids[base + j]!;
      if (idStamps[id] === round) {
        throw new LogitStoreError(
          `${where}: topkIds of token ${t} (position ${positions[t]}) repeat token id ${id} (entry ${j}); each id may appear once per token`,
        );
      }
      idStamps[id] = round;
    }
  }
}

/**
 * An example holds each position once. Rows normally arrive in increasing position order, which is checked in
 * O(new rows); only an example whose positions are out of order pays for a full set check.
 */
function checkRepeatedPositions(dst: ColumnBuffers, exampleStart: number, n: number, where: string): void {
  const r = dst.rows;
  const pos = dst.positions;
  let ascending = exampleStart === r || (dst.positionsAscending && pos[r]! > pos[r - 1]!);
  for (let i = r + 1; ascending && i < r + n; i++) ascending = pos[i]! > pos[i - 1]!;
  if (!ascending) {
    const seen = new Set<number>();
    for (let i = exampleStart; i < r + n; i++) {
      const p = pos[i]!;
      if (seen.has(p)) {
        const at = i >= r ? `positions[${i - r}]` : `row ${i - exampleStart}`;
        throw new LogitStoreError(
          `${where}: position ${p} (${at}) appears more than once in the example; each position holds one row`,
        );
      }
      seen.add(p);
    }
  }
  dst.positionsAscending = ascending;
}
