import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { loadGenerationConfig, loadModelConfig, parseGenerationConfig, parseModelConfig } from "./config.js";
import { ropeInverseFrequencies } from "./rope.js";

// Qwen2.5-0.5B-Instruct's config.json as published on the Hub.
const qwen25Config = {
  architectures: ["Qwen2ForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: "silu",
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.43.1",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

// Llama-3.2-1B-Instruct's config.json (abridged to the fields transformers reads).
const llama32Config = {
  architectures: ["LlamaForCausalLM"],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: "silu",
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: "llama",
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: "llama3",
  },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  vocab_size: 128256,
};

/**
 * The same two configs as transformers 5.17 writes them (AutoConfig.from_pretrained then save_pretrained):
 * rope_theta and rope_scaling moved into `rope_parameters`, `dtype` for `torch_dtype`, Qwen2's `layer_types`.
 */
const { rope_scaling: _scaling, rope_theta: _theta, torch_dtype: _dtype, ...llama32Rest } = llama32Config;
const llama32ConfigV5 = {
  ...llama32Rest,
  attention_dropout: 0.0,
  dtype: "bfloat16",
  initializer_range: 0.02,
  pad_token_id: null,
  pretraining_tp: 1,
  rope_parameters: { ...llama32Config.rope_scaling, rope_theta: 500000.0 },
  transformers_version: "5.17.0",
  use_cache: true,
};
const { rope_theta: _qTheta, torch_dtype: _qDtype, ...qwen25Rest } = qwen25Config;
const qwen25ConfigV5 = {
  ...qwen25Rest,
  dtype: "bfloat16",
  layer_types: new Array<string>(24).fill("full_attention"),
  pad_token_id: null,
  rope_parameters: { rope_theta: 1000000.0, rope_type: "default" },
  sliding_window: null,
  transformers_version: "5.17.0",
};

// Qwen3-0.6B's config.json as published on the Hub (head_dim 128 != 1024 / 16).
const qwen3Config = {
  architectures: ["Qwen3ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: "silu",
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: "qwen3",
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.51.0",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
// As transformers 5.17 saves it (AutoConfig.from_pretrained then save_pretrained).
const { rope_scaling: _q3Scaling, rope_theta: _q3Theta, torch_dtype: _q3Dtype, ...qwen3Rest } = qwen3Config;
const qwen3ConfigV5 = {
  ...qwen3Rest,
  dtype: "bfloat16",
  layer_types: new Array<string>(28).fill("full_attention"),
  pad_token_id: null,
  rope_parameters: { rope_theta: 1000000, rope_type: "default" },
  transformers_version: "5.17.0",
};

describe("parseModelConfig", () => {
  it("reads transformers 5's save_pretrained form as the published one", () => {
    expect(parseModelConfig(llama32ConfigV5, "config.json")).toEqual(
      parseModelConfig(llama32Config, "config.json"),
    );
    expect(parseModelConfig(qwen25ConfigV5, "config.json")).toEqual(
      parseModelConfig(qwen25Config, "config.json"),
    );
    expect(parseModelConfig(qwen3ConfigV5, "config.json")).toEqual(
      parseModelConfig(qwen3Config, "config.json"),
    );
  });

  it("reads Qwen3-0.6B: explicit head_dim, no biases, q/k norms", () => {
    expect(parseModelConfig(qwen3Config, "config.json")).toMatchObject({
      architecture: "Qwen3ForCausalLM",
      modelType: "qwen3",
      hiddenSize: 1024,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      ropeTheta: 1000000,
      ropeScaling: null,
      tieWordEmbeddings: true,
      attentionBias: { qkv: false, output: false },
      mlpBias: false,
      qkNorm: true,
      maxPositionEmbeddings: 40960,
      eosTokenIds: [151645],
    });
    expect(parseModelConfig(qwen25Config, "config.json").qkNorm).toBe(false);
    expect(parseModelConfig(llama32Config, "config.json").qkNorm).toBe(false);
    expect(parseModelConfig({ ...qwen3Config, attention_bias: true }, "c.json").attentionBias).toEqual({
      qkv: true,
      output: true,
    });
  });

  it("takes Qwen3Config's defaults: head_dim 128, 32 kv heads (null: as many as query heads)", () => {
    const { head_dim: _d, num_key_value_heads: _kv, rope_theta: _t, ...rest } = qwen3Config;
    const config = parseModelConfig({ ...rest, num_attention_heads: 32 }, "c.json");
    expect(config.headDim).toBe(128);
    expect(config.numKvHeads).toBe(32);
    expect(config.ropeTheta).toBe(10000);
    expect(parseModelConfig({ ...qwen3Config, num_key_value_heads: null }, "c.json").numKvHeads).toBe(16);
  });

  it("refuses Qwen3-MoE and Qwen3 sliding-window attention", () => {
    expect(() =>
      parseModelConfig({ ...qwen3Config, architectures: ["Qwen3MoeForCausalLM"] }, "/m/config.json"),
    ).toThrow(/field "architectures": "Qwen3MoeForCausalLM" \(Qwen3 mixture-of-experts\) is not supported/);
    expect(() =>
      parseModelConfig({ ...qwen3Config, use_sliding_window: true, sliding_window: 4096 }, "c.json"),
    ).toThrow(/field "use_sliding_window": sliding-window attention is not supported/);
  });

  it("refuses a quantized checkpoint by its quantization_config (the first missing float weight was all it said)", () => {
    const gptq = { quant_method: "gptq", bits: 4, group_size: 128 };
    expect(() => parseModelConfig({ ...qwen3Config, quantization_config: gptq }, "/m/config.json")).toThrow(
      /^\/m\/config\.json: field "quantization_config": quantized checkpoints are not supported \(quant_method "gptq"\); use the unquantized model/,
    );
    expect(parseModelConfig({ ...qwen3Config, quantization_config: null }, "c.json").architecture).toBe(
      "Qwen3ForCausalLM",
    );
  });

  it("reads the tiny Qwen2 fixture", async () => {
    const config = await loadModelConfig(tinyRefDir);
    expect(config).toMatchObject({
      architecture: "Qwen2ForCausalLM",
      hiddenSize: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 16,
      intermediateSize: 128,
      vocabSize: 256,
      ropeTheta: 1000000,
      ropeScaling: null,
      rmsNormEps: 1e-6,
      tieWordEmbeddings: true,
      attentionBias: { qkv: true, output: false },
      mlpBias: false,
      bosTokenId: 1,
      eosTokenIds: [2],
      maxPositionEmbeddings: 512,
      torchDtype: "float32",
    });
  });

  it("reads Qwen2.5-0.5B-Instruct", () => {
    const config = parseModelConfig(qwen25Config, "config.json");
    expect(config.headDim).toBe(64);
    expect(config.numKvHeads).toBe(2);
    expect(config.eosTokenIds).toEqual([151645]);
    expect(config.torchDtype).toBe("bfloat16");
  });

  it("reads Llama 3.2 with llama3 rope scaling and an eos list", () => {
    const config = parseModelConfig(llama32Config, "config.json");
    expect(config.architecture).toBe("LlamaForCausalLM");
    expect(config.attentionBias).toEqual({ qkv: false, output: false });
    expect(config.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(config.ropeScaling).toEqual({
      type: "llama3",
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    const inv = ropeInverseFrequencies(config);
    expect(inv.length).toBe(32);
    // Highest frequency (wavelength 2*pi < 8192/4): untouched.
    expect(inv[0]).toBe(1);
    // Lowest frequency (wavelength far above 8192): divided by the factor.
    expect(inv[31]).toBeCloseTo(500000 ** (-62 / 64) / 32, 20);
  });

  it("reads Llama attention_bias / mlp_bias and linear / dynamic scaling", () => {
    const linear = parseModelConfig(
      { ...llama32Config, attention_bias: true, mlp_bias: true, rope_scaling: { type: "linear", factor: 2 } },
      "config.json",
    );
    expect(linear.attentionBias).toEqual({ qkv: true, output: true });
    expect(linear.mlpBias).toBe(true);
    const plain = ropeInverseFrequencies({ ...linear, ropeScaling: null });
    expect(ropeInverseFrequencies(linear)[5]).toBeCloseTo((plain[5] as number) / 2, 15);

    const dynamic = parseModelConfig(
      { ...llama32Config, max_position_embeddings: 4096, rope_scaling: { type: "dynamic", factor: 2 } },
      "config.json",
    );
    expect(ropeInverseFrequencies(dynamic, 100)).toEqual(
      ropeInverseFrequencies({ ...dynamic, ropeScaling: null }),
    );
    expect((ropeInverseFrequencies(dynamic, 8192)[31] as number) < (plain[31] as number)).toBe(true);
  });

  // What LlamaConfig / Qwen2Config.from_dict give in transformers 5.17 (config.rope_parameters), for configs
  // with rope fields in more than one place: rope_scaling (when a non-empty object) else rope_parameters, and
  // rope_theta from that dict before the top-level field.
  it("takes rope_theta and the scaling from where transformers 5.17 does", () => {
    const rope = (fields: Record<string, unknown>) => {
      const c = parseModelConfig({ ...qwen25Config, ...fields }, "c.json");
      return { theta: c.ropeTheta, scaling: c.ropeScaling };
    };
    // transformers 5's own form: {'rope_type': 'default', 'rope_theta': 1000000.0}
    expect(rope({ rope_theta: 5, rope_parameters: { rope_type: "default", rope_theta: 1e6 } })).toEqual({
      theta: 1e6,
      scaling: null,
    });
    // {'rope_type': 'linear', 'factor': 4.0, 'rope_theta': 7.0}
    const linear4 = { rope_type: "linear", factor: 4, rope_theta: 7 };
    expect(rope({ rope_scaling: null, rope_theta: 5, rope_parameters: linear4 })).toEqual({
      theta: 7,
      scaling: { type: "linear", factor: 4 },
    });
    expect(rope({ rope_scaling: {}, rope_parameters: linear4 })).toEqual({
      theta: 7,
      scaling: { type: "linear", factor: 4 },
    });
    // {'rope_type': 'linear', 'factor': 2.0, 'rope_theta': 5.0}: rope_scaling wins over rope_parameters
    expect(
      rope({ rope_scaling: { rope_type: "linear", factor: 2 }, rope_theta: 5, rope_parameters: linear4 }),
    ).toEqual({ theta: 5, scaling: { type: "linear", factor: 2 } });
    // {'rope_type': 'linear', 'factor': 2.0, 'rope_theta': 9.0}
    expect(rope({ rope_theta: 5, rope_scaling: { rope_type: "linear", factor: 2, rope_theta: 9 } })).toEqual({
      theta: 9,
      scaling: { type: "linear", factor: 2 },
    });
    // {'rope_type': 'linear', 'factor': 4.0, 'rope_theta': 5.0}
    expect(rope({ rope_theta: 5, rope_parameters: { rope_type: "linear", factor: 4 } })).toEqual({
      theta: 5,
      scaling: { type: "linear", factor: 4 },
    });
    expect(() => rope({ rope_parameters: { rope_type: "default", rope_theta: -1 } })).toThrow(
      /field "rope_parameters.rope_theta": expected a positive number, found -1/,
    );
  });

  it("defaults head_dim to hidden / heads and kv heads to heads", () => {
    const { num_key_value_heads: _kv, ...rest } = qwen25Config;
    const config = parseModelConfig(rest, "c.json");
    expect(config.numKvHeads).toBe(14);
    expect(config.headDim).toBe(64);
  });

  it("names the file and field on bad input", () => {
    expect(() =>
      parseModelConfig({ ...qwen25Config, architectures: ["GPT2LMHeadModel"] }, "/m/config.json"),
    ).toThrow(/\/m\/config\.json: field "architectures": unsupported architecture "GPT2LMHeadModel"/);
    const { hidden_size: _h, ...noHidden } = qwen25Config;
    expect(() => parseModelConfig(noHidden, "/m/config.json")).toThrow(
      /\/m\/config\.json: field "hidden_size": expected an integer, found nothing/,
    );
    expect(() => parseModelConfig({ ...qwen25Config, num_attention_heads: "14" }, "c.json")).toThrow(
      /field "num_attention_heads": expected an integer, found string "14"/,
    );
    expect(() => parseModelConfig({ ...qwen25Config, num_key_value_heads: 3 }, "c.json")).toThrow(
      /num_key_value_heads/,
    );
    expect(() =>
      parseModelConfig({ ...qwen25Config, rope_scaling: { type: "yarn", factor: 4 } }, "c.json"),
    ).toThrow(/field "rope_scaling.type": unsupported rope scaling type "yarn"/);
    expect(() => parseModelConfig({ ...qwen25Config, rope_scaling: { type: "linear" } }, "c.json")).toThrow(
      /field "rope_scaling.factor"/,
    );
    expect(() => parseModelConfig([], "c.json")).toThrow(/c\.json: expected a JSON object/);
    expect(() => parseModelConfig({ ...qwen25Config, eos_token_id: [1, "x"] }, "c.json")).toThrow(
      /eos_token_id/,
    );
  });
});

describe("generation config", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  // Qwen2.5-0.5B-Instruct's generation_config.json as the Hub has it (repetition_penalty 1.1, not 1.05).
  it("reads Qwen2.5-Instruct's sampling defaults", () => {
    const model = parseModelConfig(qwen25Config, "config.json");
    const generation = parseGenerationConfig(
      {
        bos_token_id: 151643,
        pad_token_id: 151643,
        do_sample: true,
        eos_token_id: [151645, 151643],
        repetition_penalty: 1.1,
        temperature: 0.7,
        top_p: 0.8,
        top_k: 20,
        transformers_version: "4.37.0",
      },
      "generation_config.json",
      model,
    );
    expect(generation).toEqual({
      eosTokenIds: [151645, 151643],
      bosTokenId: 151643,
      padTokenId: 151643,
      doSample: true,
      temperature: 0.7,
      topK: 20,
      topP: 0.8,
      minP: null,
      repetitionPenalty: 1.1,
      maxNewTokens: null,
      maxLength: null,
    });
  });

  it("reads min_p, which transformers applies when sampling (null is its None: off)", () => {
    const read = (json: Record<string, unknown>) => parseGenerationConfig(json, "generation_config.json");
    expect(read({ do_sample: true, min_p: 0.05 }).minP).toBe(0.05);
    expect(read({ min_p: null }).minP).toBeNull();
    expect(read({}).minP).toBeNull();
    expect(() => read({ min_p: 1.5 })).toThrow(/min_p.*expected a number in \[0, 1\], found 1\.5/);
    expect(() => read({ min_p: "0.1" })).toThrow(/min_p/);
  });

  it("takes eos from the model and HF defaults when fields or the file are missing", async () => {
    const model = await loadModelConfig(tinyRefDir);
    const missing = await loadGenerationConfig(tinyRefDir, model);
    expect(missing).toMatchObject({ eosTokenIds: [2], doSample: false, temperature: 1, topK: 50, topP: 1 });

    const dir = await mkdtemp(path.join(tmpdir(), "ssb-gen-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: 7, top_p: 2 }));
    await expect(loadGenerationConfig(dir, model)).rejects.toThrow(/generation_config\.json: field "top_p"/);
    await writeFile(path.join(dir, "generation_config.json"), "{ not json");
    await expect(loadGenerationConfig(dir, model)).rejects.toThrow(
      /generation_config\.json:1:3: not valid JSON/,
    );
    // A hand edit's trailing comma is placed by line and column (it said only the parser's reason).
    await writeFile(path.join(dir, "generation_config.json"), '{\n  "eos_token_id": 7,\n}\n');
    await expect(loadGenerationConfig(dir, model)).rejects.toThrow(
      /generation_config\.json:3:1: not valid JSON \(Expected double-quoted property name/,
    );
    await writeFile(path.join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: 7 }));
    expect((await loadGenerationConfig(dir, model)).eosTokenIds).toEqual([7]);
  });

  it("names the missing config file", async () => {
    await expect(loadModelConfig("/nonexistent-dir")).rejects.toThrow(
      /\/nonexistent-dir\/config\.json: cannot read file/,
    );
  });
});
