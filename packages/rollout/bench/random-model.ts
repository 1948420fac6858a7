/**
 * A random Qwen2 checkpoint of a chosen size (HF layout: config.json + model.safetensors), exported to ONNX
 * with @ssb/model, cached under the OS temp folder so reruns skip the work.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  expectedWeightShapes,
  exportOnnx,
  parseModelConfig,
  type TensorToWrite,
  writeSafetensors,
} from "@ssb/model";

export interface RandomQwen2 {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  intermediateSize: number;
  vocabSize: number;
}

export const BENCH_MODEL: RandomQwen2 = {
  hiddenSize: 512,
  numLayers: 12,
  numHeads: 8,
  numKvHeads: 2,
  intermediateSize: 1536,
  vocabSize: 32768,
};

/** Four times the compute of BENCH_MODEL (still one ONNX file under 2 GB): for GPU runs. */
export const BENCH_MODEL_LARGE: RandomQwen2 = {
  hiddenSize: 1024,
  numLayers: 16,
  numHeads: 16,
  numKvHeads: 4,
  intermediateSize: 2816,
  vocabSize: 32768,
};

/**
 * Qwen2.5-0.5B's widths and its 151,936-token vocabulary on 10 of its 24 layers (one ONNX file under the
 * inline limit, so transformers.js can load it): for GPU runs where a real vocabulary's logits matter.
 */
export const BENCH_MODEL_VOCAB: RandomQwen2 = {
  hiddenSize: 896,
  numLayers: 10,
  numHeads: 14,
  numKvHeads: 2,
  intermediateSize: 4864,
  vocabSize: 151936,
};

export function parameterCount(m: RandomQwen2): number {
  const kvDim = (m.hiddenSize / m.numHeads) * m.numKvHeads;
  const attn = 2 * m.hiddenSize * m.hiddenSize + 2 * m.hiddenSize * kvDim + m.hiddenSize + 2 * kvDim;
  const mlp = 3 * m.hiddenSize * m.intermediateSize;
  return m.vocabSize * m.hiddenSize + m.numLayers * (attn + mlp + 2 * m.hiddenSize) + m.hiddenSize;
}

/** xorshift32: fast, seeded; uniform(-a, a) with a = std * sqrt(3) has the requested std. */
function filler(seed: number): (n: number, std: number, mean: number) => Float32Array {
  let s = seed >>> 0 || 1;
  return (n, std, mean) => {
    const a = std * Math.sqrt(3);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = mean + ((s >>> 0) / 4294967296 - 0.5) * 2 * a;
    }
    return out;
  };
}

/** Seeded random prompt ids (xorshift32), away from the special ids at both ends of the vocabulary. */
export function randomPrompts(count: number, length: number, vocab: number, seed: number): number[][] {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length }, () => 3 + Math.floor(next() * (vocab - 6))),
  );
}

/** Bumped when @ssb/model's decoder graph changes, so cached exports are rebuilt. */
const GRAPH_REVISION = 5;

/** Folder with config.json, model.safetensors and model.onnx (built on first use). */
export async function randomQwen2Export(
  m: RandomQwen2 = BENCH_MODEL,
  graph: { variant: "plain" | "contrib"; groupQueryAttention?: boolean } = { variant: "plain" },
): Promise<string> {
  const name = `ssb-rollout-bench-qwen2-${m.hiddenSize}x${m.numLayers}-h${m.numHeads}kv${m.numKvHeads}-i${m.intermediateSize}-v${m.vocabSize}-g${GRAPH_REVISION}`;
  if (graph.variant !== "plain") {
    // The same weights, exported again with onnxruntime's fused kernels into a folder of its own.
    const weights = await randomQwen2Export(m);
    const dir = path.join(
      os.tmpdir(),
      `${name}-${graph.groupQueryAttention === false ? "contrib-mm" : "contrib"}`,
    );
    if (!existsSync(path.join(dir, "model.onnx")))
      await exportOnnx({ modelDir: weights, outDir: dir, ...graph });
    return dir;
  }
  const dir = path.join(os.tmpdir(), name);
  if (existsSync(path.join(dir, "model.onnx"))) return dir;
  await mkdir(dir, { recursive: true });
  const configJson = {
    architectures: ["Qwen2ForCausalLM"],
    model_type: "qwen2",
    hidden_size: m.hiddenSize,
    num_hidden_layers: m.numLayers,
    num_attention_heads: m.numHeads,
    num_key_value_heads: m.numKvHeads,
    intermediate_size: m.intermediateSize,
    vocab_size: m.vocabSize,
    max_position_embeddings: 4096,
    rope_theta: 1000000.0,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: true,
    hidden_act: "silu",
    bos_token_id: 1,
    // An id the bench never stops on: both engines generate exactly max_new_tokens.
    eos_token_id: m.vocabSize - 1,
    torch_dtype: "float32",
    use_cache: true,
  };
  await writeFile(path.join(dir, "config.json"), JSON.stringify(configJson, null, 2));
  const config = parseModelConfig(configJson, path.join(dir, "config.json"));
  const fill = filler(20240611);
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, shape] of expectedWeightShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith("norm.weight");
    tensors.set(name, { dtype: "F32", shape, data: () => (isNorm ? fill(n, 0.1, 1) : fill(n, 0.02, 0)) });
  }
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt" });
  await exportOnnx({ modelDir: dir, outDir: dir });
  return dir;
}
