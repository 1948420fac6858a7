// Deterministic synthetic teacher rows for tests and the benchmark. Real top-k lists are not at hand on this
// machine, so these imitate their shape: distinct ids per row, logits sorted descending with shrinking gaps,
// and a log-sum-exp that leaves some probability in the tail.
import type { TokenRows } from "../src/index.js";

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  vocabSize: number;
  k: number;
  seed: number;
  /** "zipf": ids skewed toward small values, as frequent tokens are; "uniform": worst case for compression. */
  ids?: "zipf" | "uniform";
  /** Multiplies the gaps between consecutive logits (default 1), to test sensitivity to the logit spread. */
  gapScale?: number;
  /** Range of the top logit (default [15, 25]). */
  topRange?: readonly [number, number];
}

export interface SyntheticRows extends TokenRows {
  positions: Int32Array;
  tokenIds: Int32Array;
  topkIds: Int32Array;
  topkLogits: Float32Array;
  logSumExp: Float32Array;
}

/** Rows for `n` tokens (positions 0..n-1) with float32 logits. */
export function syntheticRows(n: number, opts: SyntheticOptions): SyntheticRows {
  const { vocabSize, k } = opts;
  const rand = mulberry32(opts.seed);
  const positions = new Int32Array(n);
  const tokenIds = new Int32Array(n);
  const topkIds = new Int32Array(n * k);
  const topkLogits = new Float32Array(n * k);
  const logSumExp = new Float32Array(n);
  const used = new Set<number>();
  for (let t = 0; t < n; t++) {
    positions[t] = t;
    used.clear();
    for (let j = 0; j < k; j++) {
      let id: number;
      do {
        const u = rand();
        id = opts.ids === "uniform" ? Math.floor(u * vocabSize) : Math.floor(vocabSize * u ** 4);
      } while (used.has(id));
      used.add(id);
      topkIds[t * k + j] = id;
    }
    const [lo, hi] = opts.topRange ?? [15, 25];
    const gapScale = opts.gapScale ?? 1;
    let z = lo + (hi - lo) * rand();
    let sum = 0;
    for (let j = 0; j < k; j++) {
      topkLogits[t * k + j] = z;
      sum += Math.exp(z - 40);
      z -= -Math.log(1 - rand()) * (2 / (j + 1)) * gapScale;
    }
    const last = topkLogits[t * k + k - 1]!;
    const tail = Math.exp(last - 40) * (vocabSize - k) * 0.01 * rand();
    logSumExp[t] = Math.fround(40 + Math.log(sum + tail)) + 1e-3;
    tokenIds[t] = topkIds[t * k + Math.min(k - 1, Math.floor(rand() * 3))]!;
  }
  return { positions, tokenIds, topkIds, topkLogits, logSumExp };
}
