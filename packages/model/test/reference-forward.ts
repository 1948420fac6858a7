/**
 * A plain float64 Qwen2/Llama forward for one sequence, written straight from the math in
 * qwen2-tiny-ref/README.md. Test-only: it lets this package check, without ONNX, that what it
 * reads (config, f32/bf16 weights, merged LoRA) reproduces the fixture's reference logits.
 */
import {
  EMBED_TOKENS_WEIGHT,
  FINAL_NORM_WEIGHT,
  layerWeightNames,
  lmHeadWeightName,
  type ModelConfig,
  type PROJECTION_MODULES,
  ropeInverseFrequencies,
  type TensorSource,
} from "../src/index.js";

export type Weights = Map<string, Float64Array>;

export async function readAllWeights(source: TensorSource): Promise<Weights> {
  const weights: Weights = new Map();
  for (const name of source.names())
    weights.set(name, Float64Array.from((await source.readFloat32(name)).data));
  return weights;
}

function get(weights: Weights, name: string): Float64Array {
  const w = weights.get(name);
  if (!w) throw new Error(`missing weight ${name}`);
  return w;
}

/** y[s, o] = sum_i x[s, i] W[o, i] (+ b[o]). */
function linear(
  x: Float64Array,
  rows: number,
  inDim: number,
  w: Float64Array,
  outDim: number,
  b?: Float64Array,
): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let s = 0; s < rows; s++) {
    for (let o = 0; o < outDim; o++) {
      let acc = b ? (b[o] as number) : 0;
      for (let i = 0; i < inDim; i++) acc += (x[s * inDim + i] as number) * (w[o * inDim + i] as number);
      y[s * outDim + o] = acc;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, rows: number, dim: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let s = 0; s < rows; s++) {
    let sq = 0;
    for (let i = 0; i < dim; i++) sq += (x[s * dim + i] as number) ** 2;
    const inv = 1 / Math.sqrt(sq / dim + eps);
    for (let i = 0; i < dim; i++) y[s * dim + i] = (w[i] as number) * (x[s * dim + i] as number) * inv;
  }
  return y;
}

/** RoPE in place on [S, heads, D] with rotate_half pairing (i, i + D/2). */
function rope(
  t: Float64Array,
  rows: number,
  heads: number,
  d: number,
  positions: number[],
  invFreq: Float64Array,
): void {
  const half = d / 2;
  for (let s = 0; s < rows; s++) {
    for (let h = 0; h < heads; h++) {
      const base = (s * heads + h) * d;
      for (let i = 0; i < half; i++) {
        const angle = (positions[s] as number) * (invFreq[i] as number);
        const c = Math.cos(angle);
        const sn = Math.sin(angle);
        const a = t[base + i] as number;
        const b = t[base + i + half] as number;
        t[base + i] = a * c - b * sn;
        t[base + i + half] = b * c + a * sn;
      }
    }
  }
}

/** Logits [S, V] for one (possibly left-padded) sequence. */
export function referenceForward(
  config: ModelConfig,
  weights: Weights,
  ids: number[],
  positions: number[],
  mask: number[],
): Float64Array {
  const {
    hiddenSize: e,
    numHeads: nh,
    numKvHeads: nkv,
    headDim: d,
    intermediateSize: inter,
    vocabSize: v,
  } = config;
  const rows = ids.length;
  const embed = get(weights, EMBED_TOKENS_WEIGHT);
  let x = new Float64Array(rows * e);
  for (let s = 0; s < rows; s++)
    x.set(embed.subarray((ids[s] as number) * e, ((ids[s] as number) + 1) * e), s * e);
  const invFreq = ropeInverseFrequencies(config);
  const group = nh / nkv;

  for (let layer = 0; layer < config.numLayers; layer++) {
    const names = layerWeightNames(config, layer);
    const bias = (m: (typeof PROJECTION_MODULES)[number]): Float64Array | undefined => {
      const name = names.bias[m];
      return name === undefined ? undefined : get(weights, name);
    };
    const h = rmsNorm(x, rows, e, get(weights, names.inputNorm), config.rmsNormEps);
    const q = linear(h, rows, e, get(weights, names.weight.q_proj), nh * d, bias("q_proj"));
    const k = linear(h, rows, e, get(weights, names.weight.k_proj), nkv * d, bias("k_proj"));
    const val = linear(h, rows, e, get(weights, names.weight.v_proj), nkv * d, bias("v_proj"));
    rope(q, rows, nh, d, positions, invFreq);
    rope(k, rows, nkv, d, positions, invFreq);
    const attn = new Float64Array(rows * nh * d);
    for (let head = 0; head < nh; head++) {
      const kvHead = Math.floor(head / group);
      for (let s = 0; s < rows; s++) {
        const scores = new Float64Array(rows);
        let max = Number.NEGATIVE_INFINITY;
        for (let t = 0; t < rows; t++) {
          let dot = 0;
          for (let i = 0; i < d; i++)
            dot += (q[(s * nh + head) * d + i] as number) * (k[(t * nkv + kvHead) * d + i] as number);
          // finite mask: fully masked (pad) rows stay finite instead of NaN
          const allowed = t <= s && mask[t] === 1;
          scores[t] = dot / Math.sqrt(d) + (allowed ? 0 : -1e9);
          max = Math.max(max, scores[t] as number);
        }
        let sum = 0;
        for (let t = 0; t < rows; t++) {
          scores[t] = Math.exp((scores[t] as number) - max);
          sum += scores[t] as number;
        }
        for (let t = 0; t < rows; t++) {
          const p = (scores[t] as number) / sum;
          for (let i = 0; i < d; i++) {
            const at = (s * nh + head) * d + i;
            attn[at] = (attn[at] as number) + p * (val[(t * nkv + kvHead) * d + i] as number);
          }
        }
      }
    }
    const o = linear(attn, rows, nh * d, get(weights, names.weight.o_proj), e, bias("o_proj"));
    x = x.map((value, i) => value + (o[i] as number));
    const h2 = rmsNorm(x, rows, e, get(weights, names.postAttentionNorm), config.rmsNormEps);
    const gate = linear(h2, rows, e, get(weights, names.weight.gate_proj), inter, bias("gate_proj"));
    const up = linear(h2, rows, e, get(weights, names.weight.up_proj), inter, bias("up_proj"));
    const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
    const down = linear(act, rows, inter, get(weights, names.weight.down_proj), e, bias("down_proj"));
    x = x.map((value, i) => value + (down[i] as number));
  }
  const final = rmsNorm(x, rows, e, get(weights, FINAL_NORM_WEIGHT), config.rmsNormEps);
  return linear(final, rows, e, get(weights, lmHeadWeightName(config, weights)), v);
}
