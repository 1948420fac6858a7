/**
 * Llama-family and Qwen3 graphs (no q/k/v bias or all-projection biases, untied LM head, explicit head_dim,
 * rope_scaling, Qwen3's per-head q/k RMSNorm) against a small float64 forward written from the fixture
 * README's math (and transformers' Qwen3Attention for the q/k norms). The Qwen2
 * path is proven against the independent reference in export-onnx.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelConfig, parseModelConfig } from "./config.js";
import { buildDecoderGraph, type DecoderVariant } from "./export-decoder.js";
import { exportOnnx } from "./export-onnx.js";
import { ropeInverseFrequencies } from "./rope.js";
import { writeSafetensors } from "./safetensors-writer.js";
import {
  EMBED_TOKENS_WEIGHT,
  expectedWeightShapes,
  LM_HEAD_WEIGHT,
  layerWeightNames,
} from "./weight-names.js";

type Weights = Map<string, Float32Array>;

function randomWeights(config: ModelConfig, seed: number): Weights {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const weights: Weights = new Map();
  for (const [name, shape] of expectedWeightShapes(config)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith("norm.weight");
    weights.set(
      name,
      Float32Array.from({ length: count }, () => (isNorm ? 1 + 0.2 * next() : 0.2 * next())),
    );
  }
  return weights;
}

/** y[n, out] = x[n, in] W^T (+ b), in float64. */
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
 * One sequence (no cache): logits [S, V] for ids with position ids and a key mask. `rowLengths[s]`: the
 * sequence length dynamic rope scaling sees when position s is computed (the length at the end of the pass
 * that wrote it: cached keys keep the rotation of their pass); other scalings ignore it.
 */
function referenceForward(
  config: ModelConfig,
  w: Weights,
  ids: number[],
  pos: number[],
  keep: number[],
  rowLengths: number[],
) {
  const { hiddenSize: E, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V } = config;
  const S = ids.length;
  const get = (name: string) => w.get(name) as Float32Array;
  let x = new Float64Array(S * E);
  const embed = get(EMBED_TOKENS_WEIGHT);
  for (let s = 0; s < S; s++)
    for (let e = 0; e < E; e++) x[s * E + e] = embed[(ids[s] as number) * E + e] as number;
  const rope = (t: Float64Array, heads: number) => {
    for (let s = 0; s < S; s++) {
      for (let h = 0; h < heads; h++) {
        const at = (s * heads + h) * D;
        const inv = ropeInverseFrequencies(config, rowLengths[s]);
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
    const q = linear(h, S, get(n.weight.q_proj), H * D, bias("q_proj"));
    const k = linear(h, S, get(n.weight.k_proj), KV * D, bias("k_proj"));
    const v = linear(h, S, get(n.weight.v_proj), KV * D, bias("v_proj"));
    if (n.qkNorm !== null) {
      // Qwen3: RMSNorm over each head's D values, before RoPE.
      q.set(rmsNorm(q, S * H, get(n.qkNorm.q), config.rmsNormEps));
      k.set(rmsNorm(k, S * KV, get(n.qkNorm.k), config.rmsNormEps));
    }
    rope(q, H);
    rope(k, KV);
    const ctx = new Float64Array(S * H * D);
    for (let hd = 0; hd < H; hd++) {
      const kvh = Math.floor(hd / (H / KV));
      for (let s = 0; s < S; s++) {
        const scores: number[] = [];
        for (let t = 0; t <= s; t++) {
          if (!keep[t]) continue;
          let dot = 0;
          for (let i = 0; i < D; i++)
            dot += (q[(s * H + hd) * D + i] as number) * (k[(t * KV + kvh) * D + i] as number);
          scores.push(dot / Math.sqrt(D), t);
        }
        let max = -Infinity;
        for (let j = 0; j < scores.length; j += 2) max = Math.max(max, scores[j] as number);
        let sum = 0;
        for (let j = 0; j < scores.length; j += 2) sum += Math.exp((scores[j] as number) - max);
        for (let j = 0; j < scores.length; j += 2) {
          const p = Math.exp((scores[j] as number) - max) / sum;
          const t = scores[j + 1] as number;
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
  const final = rmsNorm(x, S, get("model.norm.weight"), config.rmsNormEps);
  const head = w.has(LM_HEAD_WEIGHT) ? get(LM_HEAD_WEIGHT) : embed;
  return linear(final, S, head, V);
}

const LLAMA_BASE = {
  architectures: ["LlamaForCausalLM"],
  hidden_size: 48,
  intermediate_size: 96,
  num_hidden_layers: 2,
  num_attention_heads: 6,
  num_key_value_heads: 2,
  vocab_size: 40,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
};

const CASES: Record<string, Record<string, unknown>> = {
  "Llama, untied head, no biases, llama3 rope scaling": {
    ...LLAMA_BASE,
    rope_scaling: {
      rope_type: "llama3",
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 16,
    },
  },
  "Llama, attention_bias + mlp_bias, explicit head_dim 12, MHA, linear scaling, tied": {
    ...LLAMA_BASE,
    num_key_value_heads: 6,
    head_dim: 12,
    attention_bias: true,
    mlp_bias: true,
    tie_word_embeddings: true,
    rope_scaling: { type: "linear", factor: 2 },
  },
  // A trained context of 4: both passes below run past it, where transformers recomputes the base from the
  // sequence length (a smaller rope_theta so that every frequency pair turns visibly).
  "Llama, dynamic NTK rope scaling past max_position_embeddings": {
    ...LLAMA_BASE,
    max_position_embeddings: 4,
    rope_theta: 100,
    rope_scaling: { rope_type: "dynamic", factor: 2 },
  },
  // Shaped like Qwen3-0.6B: head_dim * heads (96) != hidden (48), GQA, tied head, q/k norms with random
  // gains (randomWeights draws every norm weight around 1), head_dim % 8 == 0 so contrib fuses attention.
  "Qwen3, q/k norms, head_dim 16 with hidden 48 and 6 heads, tied": {
    architectures: ["Qwen3ForCausalLM"],
    model_type: "qwen3",
    hidden_size: 48,
    intermediate_size: 96,
    num_hidden_layers: 2,
    num_attention_heads: 6,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: 40,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: true,
    attention_bias: false,
    rope_parameters: { rope_theta: 1000000, rope_type: "default" },
    layer_types: ["full_attention", "full_attention"],
  },
};

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-llama-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const ids = [
  [0, 0, 5, 9, 13, 2, 33, 7],
  [11, 3, 21, 39, 8, 17, 4, 25],
];
const mask = [
  [0, 0, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1],
];
const positions = mask.map((row) => {
  // cumsum(mask) - 1, pads clamped to 0 (the fixture's rule)
  let seen = 0;
  return row.map((m) => {
    seen += m;
    return Math.max(0, seen - 1);
  });
});

for (const [title, json] of Object.entries(CASES)) {
  describe(title, () => {
    const config = parseModelConfig(json, "config.json");
    const weights = randomWeights(config, 7);
    const dir = () => path.join(workDir, title.replace(/[^a-z0-9]+/gi, "-"));

    beforeAll(async () => {
      await rm(dir(), { recursive: true, force: true });
      const { mkdir } = await import("node:fs/promises");
      await mkdir(dir(), { recursive: true });
      await writeFile(path.join(dir(), "config.json"), JSON.stringify(json));
      await writeSafetensors(
        path.join(dir(), "model.safetensors"),
        [...weights].map(([name, data]) => [
          name,
          { dtype: "F32", shape: expectedWeightShapes(config).get(name)!, data },
        ]),
      );
    });

    for (const variant of ["plain", "contrib"] as DecoderVariant[]) {
      it(`${variant}: left-padded batch matches a float64 forward, then one cached step`, async () => {
        const out = await exportOnnx({ modelDir: dir(), outDir: path.join(dir(), variant), variant });
        const genai = JSON.parse(await readFile(path.join(dir(), variant, "genai_config.json"), "utf8"));
        expect(genai.model.type).toBe(config.qkNorm ? "qwen3" : "llama");
        const session = await ort.InferenceSession.create(out.modelFile);
        const { numKvHeads: kv, headDim: d, vocabSize: V, numLayers } = config;
        const t64 = (rows: number[][]) =>
          new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [
            rows.length,
            rows[0]!.length,
          ]);
        const past: Record<string, ort.Tensor> = {};
        for (let i = 0; i < numLayers; i++) {
          for (const kind of ["key", "value"]) {
            past[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [
              2,
              kv,
              0,
              d,
            ]);
          }
        }
        const S = 7; // prefill all but the last token, then decode it from the cache
        const first = await session.run({
          input_ids: t64(ids.map((r) => r.slice(0, S))),
          attention_mask: t64(mask.map((r) => r.slice(0, S))),
          position_ids: t64(positions.map((r) => r.slice(0, S))),
          ...past,
        });
        const next: Record<string, ort.Tensor> = {};
        for (let i = 0; i < numLayers; i++) {
          for (const kind of ["key", "value"])
            next[`past_key_values.${i}.${kind}`] = first[`present.${i}.${kind}`]!;
        }
        const second = await session.run({
          input_ids: t64(ids.map((r) => [r[S]!])),
          attention_mask: t64(mask),
          position_ids: t64(positions.map((r) => [r[S]!])),
          ...next,
        });
        let worst = 0;
        for (let b = 0; b < 2; b++) {
          // Each row's length as dynamic rope sees it: its last position + 1, in the prefill and in the step.
          const lengths = positions[b]!.map(
            (_, s) => (s < S ? positions[b]![S - 1]! : positions[b]![S]!) + 1,
          );
          const want = referenceForward(config, weights, ids[b]!, positions[b]!, mask[b]!, lengths);
          const got1 = first.logits!.data as Float32Array;
          const got2 = second.logits!.data as Float32Array;
          for (let s = 0; s <= S; s++) {
            if (!mask[b]![s]) continue;
            for (let v = 0; v < V; v++) {
              const got = s < S ? got1[(b * S + s) * V + v]! : got2[b * V + v]!;
              worst = Math.max(worst, Math.abs(got - want[s * V + v]!));
            }
          }
        }
        expect(worst).toBeLessThan(1e-4);
        // new_key_values.* are exactly the columns each pass appended to present.*
        for (const [out, cols] of [
          [first, S],
          [second, 1],
        ] as const) {
          for (let i = 0; i < numLayers; i++) {
            for (const kind of ["key", "value"]) {
              const present = out[`present.${i}.${kind}`]!;
              const step = out[`new_key_values.${i}.${kind}`]!;
              expect(step.dims).toEqual([2, kv, cols, d]);
              const T = present.dims[2] as number;
              const p = present.data as Float32Array;
              const n = step.data as Float32Array;
              for (let bh = 0; bh < 2 * kv; bh++) {
                const tail = p.subarray((bh * T + T - cols) * d, (bh + 1) * T * d);
                expect(n.subarray(bh * cols * d, (bh + 1) * cols * d)).toEqual(tail);
              }
            }
          }
        }
        await session.release();
      });
    }
  });
}

describe("buildDecoderGraph input checks", () => {
  it("names a missing or misshapen weight", () => {
    const config = parseModelConfig(LLAMA_BASE, "config.json");
    const weights = randomWeights(config, 1);
    const getter = (drop: string, reshape?: string) => ({
      has: (n: string) => n !== drop && weights.has(n),
      shape: (n: string) => (n === reshape ? [1] : expectedWeightShapes(config).get(n)!),
      float32: async (n: string) => weights.get(n)!,
    });
    expect(() => buildDecoderGraph(config, getter(LM_HEAD_WEIGHT))).toThrow(
      /missing weight "lm_head.weight"/,
    );
    expect(() => buildDecoderGraph(config, getter("", "model.norm.weight"))).toThrow(
      /"model.norm.weight": expected shape \[48\], found \[1\]/,
    );
  });
});
