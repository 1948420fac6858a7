/**
 * The KV cache of a batch of sequences, kept as the flat arrays onnxruntime hands back. Every row has the
 * same allocated length T (the longest row); a row with fewer real positions is left padded, its real
 * positions right aligned, so one decode step appends column T for every row at once.
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
  /** Allocated positions per row (T). */
  length: number;
  /** One array per name of {@link KvGeometry.names}, shaped [rows, heads, T, dim] or [rows, T, heads, dim]. */
  arrays: KvArray[];
}

export function allocKv(geom: KvGeometry, rows: number, length: number): KvBatch {
  const size = rows * geom.heads * length * geom.headDim;
  const arrays = geom.names.map(() =>
    geom.dtype === "float16" ? new Uint16Array(size) : new Float32Array(size),
  );
  return { rows, length, arrays };
}

/** One row to copy: row `row` of `from`, whose last `len` positions are real. */
export interface KvRowSource {
  from: KvBatch;
  row: number;
  len: number;
}

/** A new batch whose row i is `sources[i]` right aligned; its length is the longest `len` (or `minLength`). */
export function gatherKv(geom: KvGeometry, sources: readonly KvRowSource[], minLength = 0): KvBatch {
  let length = minLength;
  for (const s of sources) length = Math.max(length, s.len);
  const out = allocKv(geom, sources.length, length);
  const { heads: H, headDim: D } = geom;
  for (let a = 0; a < out.arrays.length; a++) {
    const dst = out.arrays[a] as KvArray;
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i] as KvRowSource;
      const src = s.from.arrays[a] as KvArray;
      const T = s.from.length;
      if (s.len === 0) continue;
      if (geom.layout === "heads-first") {
        for (let h = 0; h < H; h++) {
          const from = ((s.row * H + h) * T + (T - s.len)) * D;
          const to = ((i * H + h) * length + (length - s.len)) * D;
          dst.set(src.subarray(from, from + s.len * D), to);
        }
      } else {
        const from = (s.row * T + (T - s.len)) * H * D;
        const to = (i * length + (length - s.len)) * H * D;
        dst.set(src.subarray(from, from + s.len * H * D), to);
      }
    }
  }
  return out;
}
