import { describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { openCheckpointWeights } from "./checkpoint-weights.js";
import { loadModelConfig, parseModelConfig } from "./config.js";
import {
  checkWeightShapes,
  expectedWeightShapes,
  layerWeightNames,
  lmHeadWeightName,
  projectionShape,
} from "./weight-names.js";

const qwen25 = parseModelConfig(
  {
    architectures: ["Qwen2ForCausalLM"],
    hidden_size: 896,
    intermediate_size: 4864,
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    tie_word_embeddings: true,
    vocab_size: 151936,
  },
  "config.json",
);
const llama = parseModelConfig(
  {
    architectures: ["LlamaForCausalLM"],
    head_dim: 64,
    hidden_size: 2048,
    intermediate_size: 8192,
    num_attention_heads: 32,
    num_hidden_layers: 16,
    num_key_value_heads: 8,
    tie_word_embeddings: false,
    vocab_size: 128256,
  },
  "config.json",
);

const qwen3 = parseModelConfig(
  {
    architectures: ["Qwen3ForCausalLM"],
    head_dim: 128,
    hidden_size: 1024,
    intermediate_size: 3072,
    num_attention_heads: 16,
    num_hidden_layers: 28,
    num_key_value_heads: 8,
    tie_word_embeddings: true,
    vocab_size: 151936,
  },
  "config.json",
);

describe("HF weight layout", () => {
  it("lists a Qwen3-0.6B layout: q/k norms over head_dim, head_dim * heads != hidden, no biases", () => {
    const shapes = expectedWeightShapes(qwen3);
    expect(shapes.size).toBe(1 + 28 * 11 + 1);
    expect(shapes.get("model.layers.27.self_attn.q_norm.weight")).toEqual([128]);
    expect(shapes.get("model.layers.0.self_attn.k_norm.weight")).toEqual([128]);
    expect(shapes.get("model.layers.0.self_attn.q_proj.weight")).toEqual([2048, 1024]);
    expect(shapes.get("model.layers.0.self_attn.o_proj.weight")).toEqual([1024, 2048]);
    expect(shapes.get("model.layers.0.self_attn.k_proj.weight")).toEqual([1024, 1024]);
    expect(layerWeightNames(qwen3, 2).bias).toEqual({});
    expect(layerWeightNames(qwen3, 2).qkNorm).toEqual({
      q: "model.layers.2.self_attn.q_norm.weight",
      k: "model.layers.2.self_attn.k_norm.weight",
    });
    expect(layerWeightNames(qwen25, 2).qkNorm).toBeNull();
    expect(shapes.has("lm_head.weight")).toBe(false);
  });

  it("lists the tensors a Qwen2.5-0.5B checkpoint holds (290, tied, q/k/v biases)", () => {
    const shapes = expectedWeightShapes(qwen25);
    expect(shapes.size).toBe(290);
    expect(shapes.get("model.layers.23.self_attn.k_proj.weight")).toEqual([128, 896]);
    expect(shapes.get("model.layers.23.self_attn.k_proj.bias")).toEqual([128]);
    expect(shapes.has("model.layers.0.self_attn.o_proj.bias")).toBe(false);
    expect(shapes.get("model.layers.0.mlp.down_proj.weight")).toEqual([896, 4864]);
    expect(shapes.has("lm_head.weight")).toBe(false);
  });

  it("lists an untied Llama layout without biases", () => {
    const shapes = expectedWeightShapes(llama);
    expect(shapes.size).toBe(1 + 16 * 9 + 2);
    expect(shapes.get("lm_head.weight")).toEqual([128256, 2048]);
    expect(projectionShape(llama, "v_proj")).toEqual([512, 2048]);
    expect(layerWeightNames(llama, 3).bias).toEqual({});
    expect(() => lmHeadWeightName(llama, { has: () => false })).toThrow(/tie_word_embeddings is false/);
  });

  it("validates the fixture and names a mismatching tensor", async () => {
    const config = await loadModelConfig(tinyRefDir);
    const weights = await openCheckpointWeights(tinyRefDir);
    try {
      expect(() => checkWeightShapes(config, weights)).not.toThrow();
      expect(lmHeadWeightName(config, weights)).toBe("model.embed_tokens.weight");
      expect(() => checkWeightShapes({ ...config, intermediateSize: 96 }, weights)).toThrow(
        /tensor "model\.layers\.0\.mlp\.gate_proj\.weight": expected shape \[96, 64\] from config\.json, found \[128, 64\]/,
      );
      expect(() => checkWeightShapes({ ...config, numLayers: 3 }, weights, "/ckpt")).toThrow(
        /\/ckpt: missing tensor "model\.layers\.2\.input_layernorm\.weight"/,
      );
    } finally {
      await weights.close();
    }
  });
});
