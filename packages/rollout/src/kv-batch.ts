/**
 * The KV cache of a batch of sequences, as flat arrays. Every row has the same used length T (the longest
 * row); a row with fewer real positions is left padded, its real positions right aligned at T, so one
 * decode step appends column T for every row at once.
 *
 * Arrays may hold spare columns after T (`capacity` > `length`): a decoder that returns only the new
 * columns (see DecoderSession) writes them there in place, and the spare columns are fed to the model
 * masked out, so a step moves only the new columns instead of the whole cache.
 *
 * Slots are freed and refilled by {@link gatherKv}, which copies chosen rows' real suffixes into a fresh
 * batch as short as its longest row: that drops finished rows, trims columns that are padding in every
 * row, and repeats a prefilled prompt's row once per sample (the prompt is computed once, copied n times).
 */
import type { KvDtype, KvLayout } from "./decoder-io.js";

export type KvArray = Float32Array | Uint16Array;

export interface KvGeometry {
  layout: KvLayout;
  heads: number;
  headDim: number;
  dtype: KvDtype;
  /** Tensor names, in the order the arrays are kept (past key, past value per layer). */
  names: readonly string[];
}

export interface KvBatch {
  rows: number;
  /** Used positions per row (T). */
  length: number;
  /** Allocated positions per row (>= length); the arrays' sequence axis has this size. */
  capacity: number;
  /** One array per name of {@link KvGeometry.names}, shaped [rows, heads, capacity, dim] or [rows, capacity, heads, dim]. */
  arrays: KvArray[];
}

export function allocKv(geom: KvGeometry, rows: number, length: number, capacity = length): KvBatch {
  if (capacity < length) throw new RangeError(`KV capacity ${capacity} < length ${length}`);
  const size = rows * geom.heads * capacity * geom.headDim;
  const arrays = geom.names.map(() =>
    geom.dtype === "float16" ? new Uint16Array(size) : new Float32Array(size),
  );
  return { rows, length, capacity, arrays };
}

/**
 * Spare columns to allocate for a cache about to hold `length` positions: enough that regrowing (a full
 * copy) happens every 32 steps or every quarter of the length, whichever is rarer, while the masked spare
 * columns the model still attends over stay a small share of the real ones.
 */
export function kvHeadroom(length: number): number {
  return Math.max(32, Math.ceil(length / 4));
}

/** One row to copy: row `row` of `from`, whose last `len` positions (ending at from.length) are real. */
export interface KvRowSource {
  from: KvBatch;
  row: number;
  len: number;
}

/**
 * A new batch whose row i is `sources[i]` right aligned; its length is the longest `len` (or `minLength`),
 * with `spare` extra columns of capacity.
 */
export function gatherKv(
  geom: KvGeometry,
  sources: readonly KvRowSource[],
  minLength = 0,
  spare = 0,
): KvBatch {
  let length = minLength;
  for (const s of sources) length = Math.max(length, s.len);
  const out = allocKv(geom, sources.length, length, length + spare);
  const { heads: H, headDim: D } = geom;
  const C = out.capacity;
  for (let a = 0; a < out.arrays.length; a++) {
    const dst = out.arrays[a] as KvArray;
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i] as KvRowSource;
      const src = s.from.arrays[a] as KvArray;
      const T = s.from.length;
      const SC = s.from.capacity;
      if (s.len === 0) continue;
      if (geom.layout === "heads-first") {
        for (let h = 0; h < H; h++) {
          const from = ((s.row * H + h) * SC + (T - s.len)) * D;
          const to = ((i * H + h) * C + (length - s.len)) * D;
          dst.set(src.subarray(from, from + s.len * D), to);
        }
      } else {
        const from = (s.row * SC + (T - s.len)) * H * D;
        const to = (i * C + (length - s.len)) * H * D;
        dst.set(src.subarray(from, from + s.len * H * D), to);
      }
    }
  }
  return out;
}

/** The same cache with at least `capacity` columns (every row copied whole when it must grow). */
export function withCapacity(geom: KvGeometry, kv: KvBatch, capacity: number): KvBatch {
  if (kv.capacity >= capacity) return kv;
  const sources = Array.from({ length: kv.rows }, (_, row) => ({ from: kv, row, len: kv.length }));
  return gatherKv(geom, sources, kv.length, capacity - kv.length);
}

/** Blocks up to this many elements are copied element by element (see copyBlocks). */
const LOOP_COPY_MAX = 32;

/**
 * Copy `count` blocks of `block` elements, packed in `src`, into `dst` at `dstStart` + i x `dstStride`:
 * a decode step's new KV columns, one block per (row, head). A `set(subarray)` pair allocates a view per
 * block, which dominates for short blocks: at 16 and 32 floats (head dims of tiny models) a plain loop was
 * 2x faster. At 64 floats into a long cache (53M model, 96-token prompts + 256 new tokens, ~600 MB of
 * cache) the loop was 3% slower end to end, so `set` copies blocks from 64 floats up.
 */
export function copyBlocks(
  dst: KvArray,
  dstStart: number,
  dstStride: number,
  src: KvArray,
  count: number,
  block: number,
): void {
  if (block > LOOP_COPY_MAX) {
    for (let i = 0; i < count; i++)
      dst.set(src.subarray(i * block, (i + 1) * block), dstStart + i * dstStride);
    return;
  }
  for (let i = 0; i < count; i++) {
    const to = dstStart + i * dstStride;
    const from = i * block;
    for (let j = 0; j < block; j++) dst[to + j] = src[from + j] as number;
  }
}
