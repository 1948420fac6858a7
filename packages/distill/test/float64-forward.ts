/**
 * A plain float64 decoder forward for one sequence (Qwen2 / Qwen3 / Llama, default or scaled RoPE), written
 * from transformers' modeling code: the yardstick for tfjs forwards on random checkpoints that have no
 * recorded reference. Test-only, slow (plain loops), for models of a few thousand weights.
 */
import {
  EMBED_TOKENS_WEIGHT,
  FINAL_NORM_WEIGHT,
  LM_HEAD_WEIGHT,
  layerWeightNames,
  type ModelConfig,
  ropeInverseFrequencies,
} from "@ssb/model";

export type Weights = Map<string, Float32Array>;

/** y[n, out] = x[n, in] W^T (+ b). */
function linear(
  x: Float64Array,
  n: number,
  w: Float32Array,
  outDim: number,
  bias?: Float32Array,
): Float64Array {
  const inDim = x.length / n;
  const y = new Float64Array(n * outDim);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outDim; o++) {
      let acc = bias ? (bias[o] as number) : 0;
      for (let i = 0; i < inDim; i++) acc += (x[r * inDim + i] as number) * (w[o * inDim + i] as number);
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

/** RMSNorm over rows of x viewed as [n, x.length / n]. */
function rmsNorm(x: Float64Array, n: number, w: Float32Array, eps: number): Float64Array {
  const dim = x.length / n;
  const y = new Float64Array(x.length);
  for (let r = 0; r < n; r++) {
    let ms = 0;
    for (let i = 0; i < dim; i++) ms += (x[r * dim + i] as number) ** 2;
    const inv = 1 / Math.sqrt(ms / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] as number) * inv * (w[i] as number);
  }
  return y;
}

/**
 * Logits [S, V] (row-major) of one sequence: `pos` its position ids, `keep` its key mask (0 = padding). Rows
 * of padded positions are computed too (they attend to no key and are meaningless); compare valid rows only.
 */
export function float64Forward(
  config: ModelConfig,
  w: Weights,
  ids: number[],
  pos: number[],
  keep: number[],
): Float64Array {
  const { hiddenSize: E, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V } = config;
  const S = ids.length;
  const get = (name: string): Float32Array => {
    const t = w.get(name);
    if (!t) throw new Error(`float64Forward: no weight ${name}`);
    return t;
  };
  const embed = get(EMBED_TOKENS_WEIGHT);
  let x = new Float64Array(S * E);
  for (let s = 0; s < S; s++)
    for (let e = 0; e < E; e++) x[s * E + e] = embed[(ids[s] as number) * E + e] as number;
  const inv = ropeInverseFrequencies(config, S);
  const rope = (t: Float64Array, heads: number) => {
    for (let s = 0; s < S; s++) {
      for (let h = 0; h < heads; h++) {
        const at = (s * heads + h) * D;
        for (let i = 0; i < D / 2; i++) {
          const a = (pos[s] as number) * (inv[i] as number);
          const x1 = t[at + i] as number;
          const x2 = t[at + i + D / 2] as number;
          t[at + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
          t[at + i + D / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
  };
  for (let layer = 0; layer < config.numLayers; layer++) {
    const n = layerWeightNames(config, layer);
    const bias = (m: keyof typeof n.weight) => (n.bias[m] ? get(n.bias[m] as string) : undefined);
    const h = rmsNorm(x, S, get(n.inputNorm), config.rmsNormEps);
    let q: Float64Array = linear(h, S, get(n.weight.q_proj), H * D, bias("q_proj"));
    let k: Float64Array = linear(h, S, get(n.weight.k_proj), KV * D, bias("k_proj"));
    const v = linear(h, S, get(n.weight.v_proj), KV * D, bias("v_proj"));
    if (n.qkNorm !== null) {
      // Qwen3Attention: q_norm / k_norm over each head's D values, before RoPE.
      q = rmsNorm(q, S * H, get(n.qkNorm.q), config.rmsNormEps);
      k = rmsNorm(k, S * KV, get(n.qkNorm.k), config.rmsNormEps);
    }
    rope(q, H);
    rope(k, KV);
    const ctx = new Float64Array(S * H * D);
    for (let hd = 0; hd < H; hd++) {
      const kvh = Math.floor(hd / (H / KV));
      for (let s = 0; s < S; s++) {
        const scores: [number, number][] = [];
        for (let t = 0; t <= s; t++) {
          if (!keep[t]) continue;
          let dot = 0;
          for (let i = 0; i < D; i++)
            dot += (q[(s * H + hd) * D + i] as number) * (k[(t * KV + kvh) * D + i] as number);
          scores.push([dot / Math.sqrt(D), t]);
        }
        const max = Math.max(...scores.map(([score]) => score));
        const sum = scores.reduce((acc, [score]) => acc + Math.exp(score - max), 0);
        for (const [score, t] of scores) {
          const p = Math.exp(score - max) / sum;
          for (let i = 0; i < D; i++) {
            const at = (s * H + hd) * D + i;
            ctx[at] = (ctx[at] as number) + p * (v[(t * KV + kvh) * D + i] as number);
          }
        }
      }
    }
    const o = linear(ctx, S, get(n.weight.o_proj), E, bias("o_proj"));
    x = x.map((val, i) => val + (o[i] as number));
    const h2 = rmsNorm(x, S, get(n.postAttentionNorm), config.rmsNormEps);
    const gate = linear(h2, S, get(n.weight.gate_proj), config.intermediateSize, bias("gate_proj"));
    const up = linear(h2, S, get(n.weight.up_proj), config.intermediateSize, bias("up_proj"));
    const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
    const down = linear(act, S, get(n.weight.down_proj), E, bias("down_proj"));
    x = x.map((val, i) => val + (down[i] as number));
  }
  const final = rmsNorm(x, S, get(FINAL_NORM_WEIGHT), config.rmsNormEps);
  return linear(final, S, w.has(LM_HEAD_WEIGHT) ? get(LM_HEAD_WEIGHT) : embed, V);
}
