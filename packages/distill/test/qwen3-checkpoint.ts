/**
 * A random Qwen3 checkpoint shaped like Qwen3-0.6B (head_dim * heads = 2 * hidden, GQA, tied head, q/k norms)
 * written as a Hugging Face folder (config.json + model.safetensors) that both @ssb/model and transformers load.
 * Norm weights (q/k norms included) get random gains around 1, so a missing or misplaced norm shows.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { TensorToWrite } from "@ssb/model";
import { expectedWeightShapes, type ModelConfig, parseModelConfig, writeSafetensors } from "@ssb/model";
import { createRng } from "../src/rng.js";

export const QWEN3_TINY_CONFIG = {
  architectures: ["Qwen3ForCausalLM"],
  model_type: "qwen3",
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  intermediate_size: 48,
  vocab_size: 50,
  max_position_embeddings: 4096,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  rope_parameters: { rope_theta: 1000000, rope_type: "default" },
};

export const qwen3TinyConfig: ModelConfig = parseModelConfig(QWEN3_TINY_CONFIG, "qwen3-checkpoint.ts");

/** Matrices ~ U(-0.25, 0.25), every norm weight ~ 1 + U(-0.25, 0.25); seeded per tensor name. */
export function randomQwen3Weights(seed: number): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of expectedWeightShapes(qwen3TinyConfig)) {
    const rng = createRng(seed, name);
    const size = shape.reduce((a, b) => a * b, 1);
    const offset = name.endsWith("norm.weight") ? 1 : 0;
    weights.set(
      name,
      Float32Array.from({ length: size }, () => offset + (rng.next() - 0.5) / 2),
    );
  }
  return weights;
}

/** Writes `dir`/config.json and `dir`/model.safetensors (F32, format "pt" as transformers expects). */
export async function writeQwen3Checkpoint(dir: string, weights: Map<string, Float32Array>): Promise<void> {
  await writeFile(path.join(dir, "config.json"), JSON.stringify(QWEN3_TINY_CONFIG, null, 2));
  const shapes = expectedWeightShapes(qwen3TinyConfig);
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, data] of weights)
    tensors.set(name, { dtype: "F32", shape: shapes.get(name) as number[], data });
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt" });
}
