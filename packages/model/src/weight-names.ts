/**
 * The HF tensor names and shapes of a Qwen2 / Qwen3 / Llama decoder, derived from its config. One place
 * that knows the layout, so the ONNX exporter, the LoRA merge and the tfjs student agree on it.
 */
import type { ModelConfig } from "./config.js";
import { ModelFileError } from "./json-fields.js";
import type { TensorInfo } from "./safetensors.js";

export const EMBED_TOKENS_WEIGHT = "model.embed_tokens.weight";
export const FINAL_NORM_WEIGHT = "model.norm.weight";
export const LM_HEAD_WEIGHT = "lm_head.weight";

/** The seven projection modules LoRA usually targets (PEFT `target_modules` names). */
export const PROJECTION_MODULES = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;
export type ProjectionModule = (typeof PROJECTION_MODULES)[number];

/** `model.layers.{i}.self_attn.q_proj` etc.: the module path (no `.weight`) of a projection. */
export function projectionPath(layer: number, module: ProjectionModule): string {
  const block =
    module === "gate_proj" || module === "up_proj" || module === "down_proj" ? "mlp" : "self_attn";
  return `model.layers.${layer}.${block}.${module}`;
}

export interface LayerWeightNames {
  inputNorm: string;
  postAttentionNorm: string;
  /** `{module}.weight` for each projection. */
  weight: Record<ProjectionModule, string>;
  /** `{module}.bias` where the config says the projection has one. */
  bias: Partial<Record<ProjectionModule, string>>;
  /** Qwen3's per-head RMSNorm weights ([head_dim]) on queries and keys; null where the config has none. */
  qkNorm: { q: string; k: string } | null;
}

export function layerWeightNames(config: ModelConfig, layer: number): LayerWeightNames {
  const weight = {} as Record<ProjectionModule, string>;
  const bias: Partial<Record<ProjectionModule, string>> = {};
  for (const module of PROJECTION_MODULES) {
    weight[module] = `${projectionPath(layer, module)}.weight`;
    if (projectionHasBias(config, module)) bias[module] = `${projectionPath(layer, module)}.bias`;
  }
  return {
    inputNorm: `model.layers.${layer}.input_layernorm.weight`,
    postAttentionNorm: `model.layers.${layer}.post_attention_layernorm.weight`,
    weight,
    bias,
    qkNorm: config.qkNorm
      ? {
          q: `model.layers.${layer}.self_attn.q_norm.weight`,
          k: `model.layers.${layer}.self_attn.k_norm.weight`,
        }
      : null,
  };
}

export function projectionHasBias(config: ModelConfig, module: ProjectionModule): boolean {
  if (module === "q_proj" || module === "k_proj" || module === "v_proj") return config.attentionBias.qkv;
  if (module === "o_proj") return config.attentionBias.output;
  return config.mlpBias;
}

/** [out, in] of a projection's weight (PyTorch Linear layout: y = x W^T). */
export function projectionShape(config: ModelConfig, module: ProjectionModule): [number, number] {
  const { hiddenSize: e, numHeads: h, numKvHeads: kv, headDim: d, intermediateSize: i } = config;
  switch (module) {
    case "q_proj":
      return [h * d, e];
    case "k_proj":
    case "v_proj":
      return [kv * d, e];
    case "o_proj":
      return [e, h * d];
    case "gate_proj":
    case "up_proj":
      return [i, e];
    case "down_proj":
      return [e, i];
  }
}

/** Every tensor a checkpoint of this config must hold, with its shape (lm_head only when untied). */
export function expectedWeightShapes(config: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  shapes.set(EMBED_TOKENS_WEIGHT, [config.vocabSize, config.hiddenSize]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    const names = layerWeightNames(config, layer);
    shapes.set(names.inputNorm, [config.hiddenSize]);
    shapes.set(names.postAttentionNorm, [config.hiddenSize]);
    if (names.qkNorm !== null) {
      shapes.set(names.qkNorm.q, [config.headDim]);
      shapes.set(names.qkNorm.k, [config.headDim]);
    }
    for (const module of PROJECTION_MODULES) {
      const shape = projectionShape(config, module);
      shapes.set(names.weight[module], shape);
      const bias = names.bias[module];
      if (bias !== undefined) shapes.set(bias, [shape[0]]);
    }
  }
  shapes.set(FINAL_NORM_WEIGHT, [config.hiddenSize]);
  if (!config.tieWordEmbeddings) shapes.set(LM_HEAD_WEIGHT, [config.vocabSize, config.hiddenSize]);
  return shapes;
}

/**
 * The output projection's tensor: `lm_head.weight` when present, else (tied embeddings)
 * `model.embed_tokens.weight`.
 */
export function lmHeadWeightName(config: ModelConfig, weights: { has(name: string): boolean }): string {
  if (weights.has(LM_HEAD_WEIGHT)) return LM_HEAD_WEIGHT;
  if (config.tieWordEmbeddings) return EMBED_TOKENS_WEIGHT;
  throw new Error(`no ${LM_HEAD_WEIGHT} and tie_word_embeddings is false`);
}

/** The element types a weight may be stored in: the ones read as numbers with a fraction. */
const FLOAT_WEIGHT_DTYPES: ReadonlySet<string> = new Set(["F64", "F32", "F16", "BF16"]);

/**
 * Throws (naming the file, the tensor, the expected and the found shape or dtype) unless every expected weight is
 * there, with its shape and a float dtype. `where` names the weights (a folder, a file or a shard index) in the
 * error for a missing tensor. An integer or bool dtype would be read as float32 without a word (a header that
 * lies about its dtype, or quantized weights without their scales) and exported as nonsense.
 */
export function checkWeightShapes(
  config: ModelConfig,
  weights: { has(name: string): boolean; info(name: string): TensorInfo },
  where = "checkpoint",
): void {
  for (const [name, shape] of expectedWeightShapes(config)) {
    if (!weights.has(name)) {
      // An untied LM head is the one weight whose presence config.json decides by a flag.
      const why = name === LM_HEAD_WEIGHT ? ` (config.json sets tie_word_embeddings to false)` : "";
      throw new ModelFileError(
        where,
        `missing tensor "${name}" (expected shape [${shape.join(", ")}])${why}`,
      );
    }
    const found = weights.info(name);
    if (found.shape.length !== shape.length || found.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(
        found.file,
        `tensor "${name}": expected shape [${shape.join(", ")}] from config.json, found [${found.shape.join(", ")}]`,
      );
    }
    if (!FLOAT_WEIGHT_DTYPES.has(found.dtype)) {
      throw new ModelFileError(
        found.file,
        `tensor "${name}": dtype ${found.dtype} is not a float type (expected F32, F16, BF16 or F64)`,
      );
    }
  }
}

/**
 * Throws (naming `where` and config.json's num_hidden_layers) when the weights hold layers past the config's
 * count: a config.json from a smaller model beside these weights, whose export (or forward) would drop the
 * extra layers without a word. Other extra tensors (a tied lm_head, old rotary inv_freq buffers) are left alone,
 * as transformers leaves them.
 */
export function checkNoLayersPastConfig(
  config: ModelConfig,
  weights: { names(): string[] },
  where = "checkpoint",
): void {
  let last = -1;
  let example = "";
  for (const name of weights.names()) {
    const match = /^model\.layers\.(\d+)\./.exec(name);
    const layer = match ? Number(match[1]) : -1;
    if (layer > last) {
      last = layer;
      example = name;
    }
  }
  if (last >= config.numLayers) {
    throw new ModelFileError(
      where,
      `holds layers up to ${last} (e.g. "${example}") but config.json's num_hidden_layers is ${config.numLayers}; ` +
        "is config.json from another model?",
    );
  }
}
