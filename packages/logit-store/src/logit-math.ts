import { LogitStoreError } from "./errors.js";
import { float16BitsToFloat32Array } from "./float16.js";

/** The fields the helpers need: k, row-major top-k logits (float32 values or float16 bits), and log-sum-exp. */
export interface TopkRows {
  k: number;
  topkLogits: Float32Array | Uint16Array;
  logSumExp: Float32Array | ArrayLike<number>;
}

/** Top-k logits as float32 values: the same array for float32 stores, decoded for float16 ones. */
export function topkLogitsAsFloat32(rows: Pick<TopkRows, "topkLogits">): Float32Array {
  return rows.topkLogits instanceof Uint16Array
    ? float16BitsToFloat32Array(rows.topkLogits)
    : rows.topkLogits;
}

function rowCount(rows: TopkRows): number {
  const n = rows.logSumExp.length;
  if (rows.topkLogits.length !== n * rows.k) {
    throw new LogitStoreError(
      `topkLogits has ${rows.topkLogits.length} values, expected ${n} rows x k=${rows.k} = ${n * rows.k}`,
    );
  }
  return n;
}

/**
 * Exact log-probabilities of the top-k entries under the teacher's full distribution at temperature 1:
 * log p = logit - logSumExp. Row-major n x k.
 */
export function topkLogProbs(rows: TopkRows): Float32Array {
  const n = rowCount(rows);
  const k = rows.k;
  const logits = topkLogitsAsFloat32(rows);
  const out = new Float32Array(n * k);
  for (let t = 0; t < n; t++) {
    const lse = rows.logSumExp[t]!;
    for (let j = 0; j < k; j++) out[t * k + j] = logits[t * k + j]! - lse;
  }
  return out;
}

/** Probability mass outside the top-k at temperature 1, per row: 1 - sum of the top-k probabilities (>= 0). */
export function tailMass(rows: TopkRows): Float32Array {
  const n = rowCount(rows);
  const k = rows.k;
  const logits = topkLogitsAsFloat32(rows);
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    const lse = rows.logSumExp[t]!;
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(logits[t * k + j]! - lse);
    // Rounding (float16 logits especially) can push the sum a hair over 1.
    out[t] = Math.max(0, 1 - s);
  }
  return out;
}

export interface TemperatureOptions {
  /**
   * Add a (k+1)-th column holding the tail's probability. The tail is treated as one pseudo-token whose logit
   * is log(tail mass) + logSumExp, scaled by 1/T like the others: exact at T = 1; for T > 1 it is a lower bound
   * of the true tail mass (and an upper bound for T < 1), because the tail's individual logits are not stored.
   */
  tail?: boolean;
}

/**
 * The teacher's distribution at `temperature` restricted to its top-k: softmax(logit / T) renormalised over the
 * k entries (n x k), or, with `tail`, over the k entries plus a tail bucket (n x (k + 1)). Computed in float64.
 */
export function topkDistributionAtTemperature(
  rows: TopkRows,
  temperature: number,
  options: TemperatureOptions = {},
): Float32Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new LogitStoreError(`temperature must be a finite number > 0, found ${temperature}`);
  }
  const n = rowCount(rows);
  const k = rows.k;
  const logits = topkLogitsAsFloat32(rows);
  const width = options.tail ? k + 1 : k;
  const out = new Float32Array(n * width);
  const scaled = new Float64Array(width);
  for (let t = 0; t < n; t++) {
    const base = t * k;
    const lse = rows.logSumExp[t]!;
    let max = Number.NEGATIVE_INFINITY;
    let topMass = 0;
    for (let j = 0; j < k; j++) {
      const z = logits[base + j]!;
      topMass += Math.exp(z - lse);
      scaled[j] = z / temperature;
      if (scaled[j]! > max) max = scaled[j]!;
    }
    if (options.tail) {
      const tail = 1 - topMass;
      scaled[k] = tail > 0 ? (Math.log(tail) + lse) / temperature : Number.NEGATIVE_INFINITY;
      if (scaled[k]! > max) max = scaled[k]!;
    }
    let sum = 0;
    for (let j = 0; j < width; j++) {
      scaled[j] = Math.exp(scaled[j]! - max);
      sum += scaled[j]!;
    }
    for (let j = 0; j < width; j++) out[t * width + j] = scaled[j]! / sum;
  }
  return out;
}
