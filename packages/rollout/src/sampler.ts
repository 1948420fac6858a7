/**
 * Next-token choice from one logits row, with transformers' processors in transformers' order:
 * repetition penalty, then temperature, top-k, top-p, min-p. The random number comes from the caller
 * (a counter-based stream), so the sampler itself is a pure function of (logits, settings, u).
 */
import {
  argmax,
  kthLargest,
  orderIdsByLogit,
  type RowTop,
  sortIdsByLogit,
  topK as topKOf,
} from "./logit-math.js";
import type { SamplingParams } from "./sampling-params.js";

export type SamplerSettings = Pick<
  SamplingParams,
  "temperature" | "topK" | "topP" | "minP" | "repetitionPenalty"
>;

/**
 * transformers' RepetitionPenaltyLogitsProcessor, in place: for every id in `seen` (prompt + reply so
 * far), a positive logit is divided by `penalty` and a negative one multiplied by it.
 */
export function applyRepetitionPenalty(row: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of seen) {
    const v = row[id];
    if (v === undefined) continue;
    row[id] = v < 0 ? v * penalty : v / penalty;
  }
}

/** A precomputed top list with at least `need` entries, of a row whose largest logit is a number. */
function hasTop(known: RowTop | undefined, need: number): known is RowTop {
  return known !== undefined && known.ids.length >= need && !Number.isNaN(known.values[0] as number);
}

/** Top-k sizes up to this are served from a top-k list; larger ones filter by a threshold over the row. */
export const SMALL_TOP_K = 256;

/** The tokens left after filtering, highest first, with unnormalised weights exp((l - max) / T). */
export interface Candidates {
  ids: Int32Array;
  weights: Float64Array;
  total: number;
}

/**
 * The kept tokens for temperature sampling (`temperature` > 0). Returns null when nothing is filtered
 * (every token stays; the caller samples over the whole row without sorting it). `known`, when given, is
 * the row's own top entries (highest first, ties by lower id) computed elsewhere, e.g. for a whole batch
 * at once; with at least topK + 1 of them the row is not scanned again. The result is the same either way.
 */
export function candidates(row: ArrayLike<number>, s: SamplerSettings, known?: RowTop): Candidates | null {
  const c = candidatesOf(row, row.length, s, known);
  if (c === null) return null;
  return {
    ids: Int32Array.from({ length: c.count }, (_, j) => c.ids[j] as number),
    weights: c.weights.slice(0, c.count),
    total: c.total,
  };
}

/**
 * Candidates as a draw reads them: the first `count` of `ids` and `weights`, which may be views of the
 * top list and of a scratch buffer that the next draw overwrites.
 */
interface Weighted {
  ids: ArrayLike<number>;
  weights: Float64Array;
  count: number;
  total: number;
}

/**
 * Weights of a draw from a top list. A draw runs for every row of every step (128 rows a step at batch 32 x
 * 4): two fresh arrays per draw were a third of its time, plus collector pauses.
 */
let scratchWeights = new Float64Array(SMALL_TOP_K + 1);

/** {@link candidates} for a row that may be absent (null) when `known` serves the draw. */
function candidatesOf(
  row: ArrayLike<number> | null,
  V: number,
  s: SamplerSettings,
  known?: RowTop,
): Weighted | null {
  const useTopK = s.topK > 0 && s.topK < V;
  const useTopP = s.topP < 1;
  const useMinP = s.minP > 0;
  if (!useTopK && !useTopP && !useMinP) return null;
  if (useTopK && s.topK <= SMALL_TOP_K) return fromTopK(row, s, known);
  const c = fromWholeRow(rowOrThrow(row), s);
  return { ids: c.ids, weights: c.weights, count: c.ids.length, total: c.total };
}

/**
 * Per-row scratch, reused: each logit's weight exp((l - max) / T), computed once (top-p read each up to
 * three times: for the normaliser, the nucleus and the kept weights), the ids a filter keeps, and top-p's
 * band in order.
 */
let rowWeights = new Float64Array(0);
let rowIds = new Int32Array(0);
let rowSorted = new Int32Array(0);

function rowScratch(V: number): void {
  if (rowWeights.length < V) {
    rowWeights = new Float64Array(V);
    rowIds = new Int32Array(V);
    rowSorted = new Int32Array(V);
  }
}

/** Candidates of a large top-k, or of top-p / min-p without top-k: thresholds over the whole row. */
function fromWholeRow(row: ArrayLike<number>, s: SamplerSettings): Candidates {
  const V = row.length;
  const T = s.temperature;
  const useTopK = s.topK > 0 && s.topK < V;
  const useTopP = s.topP < 1;
  const useMinP = s.minP > 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < V; i++) if ((row[i] as number) > max) max = row[i] as number;

  // top-k keeps every logit >= the k-th largest (ties included).
  let floor = Number.NEGATIVE_INFINITY;
  if (useTopK) floor = kthLargest(row, s.topK);
  // min-p: p >= minP * pmax  <=>  l >= max + T * ln(minP), whatever the normaliser.
  const minPFloor = useMinP ? max + T * Math.log(s.minP) : Number.NEGATIVE_INFINITY;

  rowScratch(V);
  const e = rowWeights;
  const band = rowIds;
  let kept: Int32Array;
  if (!useTopP) {
    const bound = Math.max(floor, minPFloor);
    let n = 0;
    for (let i = 0; i < V; i++) if ((row[i] as number) >= bound) band[n++] = i;
    kept = orderIdsByLogit(row, band, n);
    for (let j = 0; j < kept.length; j++) {
      const id = kept[j] as number;
      e[id] = Math.exp(((row[id] as number) - max) / T);
    }
  } else {
    // Nucleus over the top-k set: the mass is normalised over that set (transformers applies top-p to
    // top-k's output). Gather a widening band below the max until it holds topP of the mass: tokens
    // outside the band are smaller than every token in it, so the nucleus lies inside.
    let z = 0;
    for (let i = 0; i < V; i++) {
      const v = row[i] as number;
      if (v >= floor) {
        const w = Math.exp((v - max) / T);
        e[i] = w;
        z += w;
      }
    }
    // Each widening adds only logits below the last bound, all smaller than the ones already sorted, so
    // sorting just the new ones and appending them gives the whole band's order (a flat row's nucleus is
    // most of the vocabulary; re-sorting it per widening doubled the sort).
    const sorted = rowSorted;
    let count = 0;
    let before = 0;
    let n = 0;
    let above = Number.POSITIVE_INFINITY;
    let delta = 8;
    for (;;) {
      const bound = Math.max(floor, max - delta * T);
      let m = 0;
      for (let i = 0; i < V; i++) {
        const v = row[i] as number;
        if (v >= bound && v < above) band[m++] = i;
      }
      sorted.set(orderIdsByLogit(row, band, m), count);
      count += m;
      above = bound;
      // A token is kept while the mass strictly above it is < topP (transformers: cumsum ascending <= 1-p removed).
      while (n < count && before / z < s.topP) before += e[sorted[n++] as number] as number;
      const complete = before / z >= s.topP || count === V || bound === floor;
      if (complete || delta > 1e4) {
        kept = sorted.subarray(0, Math.max(1, n));
        break;
      }
      delta *= 2;
    }
    if (useMinP) kept = kept.filter((id) => (row[id] as number) >= minPFloor);
  }
  const ids = Int32Array.from(kept);
  const weights = new Float64Array(ids.length);
  let total = 0;
  for (let j = 0; j < ids.length; j++) {
    const w = e[ids[j] as number] as number;
    weights[j] = w;
    total += w;
  }
  return { ids, weights, total };
}

/**
 * The common case (small top-k): the k + 1 largest logits give the max, the k-th value, and whether any
 * logit outside the top k ties with the k-th (transformers keeps ties: then one equality scan of the row
 * adds them); top-p and min-p then only look at those few candidates. `row` may be null when `known` holds
 * k + 1 entries and no tie reaches past the k-th (see {@link topNeedsRow}).
 */
function fromTopK(row: ArrayLike<number> | null, s: SamplerSettings, known?: RowTop): Weighted {
  const T = s.temperature;
  const k = s.topK; // 0 < k < vocabulary size here
  const top = hasTop(known, k + 1) ? known : topKOf(rowOrThrow(row), k + 1);
  const kth = top.values[k - 1] as number;
  const max = top.values[0] as number;
  // The list is read in place (this runs for every row of every step); only a tie copies it.
  let ids: ArrayLike<number> = top.ids;
  let values: ArrayLike<number> = top.values;
  let n = k;
  if (top.values[k] === kth) {
    const full = rowOrThrow(row);
    const listed = Array.from({ length: k }, (_, j) => top.ids[j] as number);
    const have = new Set(listed);
    for (let i = 0; i < full.length; i++) if (full[i] === kth && !have.has(i)) listed.push(i);
    const sorted = sortIdsByLogit(full, listed);
    ids = sorted;
    values = sorted.map((id) => full[id] as number);
    n = sorted.length;
  }
  // Unnormalised weights of every top-k candidate; top-p and min-p then keep a prefix of them.
  if (scratchWeights.length < n) scratchWeights = new Float64Array(n);
  const weights = scratchWeights;
  let z = 0;
  for (let j = 0; j < n; j++) {
    const w = Math.exp(((values[j] as number) - max) / T);
    weights[j] = w;
    z += w;
  }
  if (s.topP < 1) {
    let before = 0;
    let kept = 0;
    while (kept < n && before / z < s.topP) before += weights[kept++] as number;
    n = Math.max(1, kept);
  }
  if (s.minP > 0) {
    const floor = max + T * Math.log(s.minP);
    let kept = 0;
    while (kept < n && (values[kept] as number) >= floor) kept++;
    n = Math.max(1, kept);
  }
  let total = 0;
  for (let j = 0; j < n; j++) total += weights[j] as number;
  return { ids, weights, count: n, total };
}

function rowOrThrow(row: ArrayLike<number> | null): ArrayLike<number> {
  if (row === null) throw new Error("sampler: this draw needs the whole logits row (see topNeedsRow)");
  return row;
}

/**
 * True when sampling with these settings reads only a row's largest logits: greedy, or a top-k of at most
 * SMALL_TOP_K (then k + 1 entries). Everything else (plain temperature, top-p or min-p without top-k, a
 * large top-k) scans the whole row.
 */
export function servedByTop(s: SamplerSettings, vocab: number): boolean {
  return s.temperature === 0 || (s.topK > 0 && s.topK <= SMALL_TOP_K && s.topK < vocab);
}

/**
 * Whether a draw from a top list (of a row whose settings pass {@link servedByTop}) still needs the row:
 * a NaN logit, or a tie at the k-th value that may continue past the list (transformers keeps every tied
 * token). Greedy never does: TopK and argmax both take the lowest id among equal maxima.
 */
export function topNeedsRow(top: RowTop, s: SamplerSettings): boolean {
  if (Number.isNaN(top.values[0] as number)) return true;
  if (s.temperature === 0) return false;
  return top.ids.length <= s.topK || top.values[s.topK] === top.values[s.topK - 1];
}

/** The full distribution the sampler draws from, as (id, probability) sorted by id (for tests and tools). */
export function samplingDistribution(row: ArrayLike<number>, s: SamplerSettings): Map<number, number> {
  const out = new Map<number, number>();
  if (s.temperature === 0) {
    out.set(argmax(row), 1);
    return out;
  }
  const c = candidates(row, s);
  if (c) {
    for (let j = 0; j < c.ids.length; j++) out.set(c.ids[j] as number, (c.weights[j] as number) / c.total);
    return out;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) if ((row[i] as number) > max) max = row[i] as number;
  let z = 0;
  for (let i = 0; i < row.length; i++) z += Math.exp(((row[i] as number) - max) / s.temperature);
  for (let i = 0; i < row.length; i++) out.set(i, Math.exp(((row[i] as number) - max) / s.temperature) / z);
  return out;
}

/**
 * Choose the next token. `row` must already carry the repetition penalty (see applyRepetitionPenalty);
 * `u` is a uniform draw in [0, 1). Greedy (temperature 0) ignores `u`. `known`: the row's top entries when
 * already computed (see {@link candidates}); they must be of the row as given, penalty included.
 */
export function sampleFromRow(row: ArrayLike<number>, s: SamplerSettings, u: number, known?: RowTop): number {
  return draw(row, row.length, s, u, known);
}

/**
 * Choose the next token from a row's top list alone, without the row: for settings that pass
 * {@link servedByTop} and a list (topK + 1 entries when sampling) for which {@link topNeedsRow} is false.
 * Same token as {@link sampleFromRow} on the row itself.
 */
export function sampleFromTop(top: RowTop, vocab: number, s: SamplerSettings, u: number): number {
  return draw(null, vocab, s, u, top);
}

function draw(
  row: ArrayLike<number> | null,
  V: number,
  s: SamplerSettings,
  u: number,
  known?: RowTop,
): number {
  if (s.temperature === 0) {
    return hasTop(known, 1) ? (known.ids[0] as number) : argmax(rowOrThrow(row));
  }
  const c = candidatesOf(row, V, s, known);
  if (c) {
    let target = u * c.total;
    for (let j = 0; j < c.count; j++) {
      target -= c.weights[j] as number;
      if (target < 0) return c.ids[j] as number;
    }
    return c.ids[c.count - 1] as number;
  }
  const full = rowOrThrow(row);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < V; i++) if ((full[i] as number) > max) max = full[i] as number;
  const inv = 1 / s.temperature;
  rowScratch(V);
  const e = rowWeights; // each exp once: the draw's scan reads them again
  let z = 0;
  for (let i = 0; i < V; i++) {
    const w = Math.exp(((full[i] as number) - max) * inv);
    e[i] = w;
    z += w;
  }
  let target = u * z;
  for (let i = 0; i < V; i++) {
    target -= e[i] as number;
    if (target < 0) return i;
  }
  return argmax(full);
}
