/**
 * Random decoder weights for a config (no files): matrices ~ N(0, std²) (Box–Muller on the seeded PRNG), norm
 * weights 1, biases 0. For benchmarks and tests of shapes and speed, not for quality.
 */
import { expectedWeightShapes, type Float32Tensor, type ModelConfig, parseModelConfig } from "@ssb/model";
import { createRng } from "./rng.js";

export function randomWeights(
  config: ModelConfig,
  seed = 0,
  std = 0.02,
): { read: (name: string) => Promise<Float32Tensor>; has: (name: string) => boolean } {
  const shapes = expectedWeightShapes(config);
  return {
    has: (name) => shapes.has(name),
    read: async (name) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`randomWeights: no tensor "${name}" in this config`);
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (name.endsWith("norm.weight")) data.fill(1);
      else if (!name.endsWith(".bias")) {
        const rng = createRng(seed, name);
        for (let i = 0; i < size; i += 2) {
          const u = 1 - rng.next();
          const r = std * Math.sqrt(-2 * Math.log(u));
          const angle = 2 * Math.PI * rng.next();
          data[i] = r * Math.cos(angle);
          if (i + 1 < size) data[i + 1] = r * Math.sin(angle);
        }
      }
      return { name, shape: [...shape], data };
    },
  };
}

/** A Qwen2 config from the few sizes that matter. */
export function qwen2Config(sizes: {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  tied?: boolean;
}): ModelConfig {
  return parseModelConfig(
    {
      architectures: ["Qwen2ForCausalLM"],
      model_type: "qwen2",
      hidden_size: sizes.hidden,
      num_hidden_layers: sizes.layers,
      num_attention_heads: sizes.heads,
      num_key_value_heads: sizes.kvHeads,
      intermediate_size: sizes.intermediate,
      vocab_size: sizes.vocab,
      max_position_embeddings: 4096,
      rope_theta: 1000000,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: sizes.tied ?? true,
      hidden_act: "silu",
    },
    "qwen2Config",
  );
}

/**
 * A Qwen3 (dense) config from the few sizes that matter; `headDim` may differ from hidden / heads (Qwen3-0.6B:
 * 128 with hidden 1024 and 16 heads). No q/k/v biases, q/k norms, rope_theta 1e6 as the published models.
 */
export function qwen3Config(sizes: {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  tied?: boolean;
}): ModelConfig {
  return parseModelConfig(
    {
      architectures: ["Qwen3ForCausalLM"],
      model_type: "qwen3",
      hidden_size: sizes.hidden,
      num_hidden_layers: sizes.layers,
      num_attention_heads: sizes.heads,
      num_key_value_heads: sizes.kvHeads,
      head_dim: sizes.headDim,
      intermediate_size: sizes.intermediate,
      vocab_size: sizes.vocab,
      max_position_embeddings: 4096,
      rope_theta: 1000000,
      rms_norm_eps: 1e-6,
      attention_bias: false,
      tie_word_embeddings: sizes.tied ?? true,
      hidden_act: "silu",
    },
    "qwen3Config",
  );
}
