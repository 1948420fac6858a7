import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  describeValue,
  expectObject,
  type FieldReader,
  fieldReader,
  isJsonObject,
  ModelFileError,
  parseJsonText,
} from "./json-fields.js";

/** The decoder families this package reads (their HF `architectures[0]`). */
export const SUPPORTED_ARCHITECTURES = ["Qwen2ForCausalLM", "Qwen3ForCausalLM", "LlamaForCausalLM"] as const;
export type ModelArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/**
 * `rope_scaling` as transformers reads it. `null` in {@link ModelConfig.ropeScaling} means plain RoPE
 * (HF's "default" type). What `ropeInverseFrequencies` (rope.ts) implements:
 * - `linear`: every inverse frequency divided by `factor` (positions interpolated). Exact.
 * - `llama3`: Llama 3.1's band-wise scaling (low / high frequency factors, smooth ramp between). Exact.
 * - `dynamic` (NTK): identical to default RoPE up to `maxPositionEmbeddings`; beyond it the base is
 *   recomputed from the current sequence length, which only a graph that knows the length can do —
 *   `ropeInverseFrequencies(config, seqLen)` gives the frequencies for one length. As in transformers, the
 *   length is measured against `max_position_embeddings`; an `original_max_position_embeddings` in the
 *   scaling is accepted and ignored (transformers 5.17 warns about it and ignores it too).
 * Other HF types (yarn, longrope, ...) are rejected at parse time rather than silently computed wrong.
 */
export type RopeScaling =
  | { type: "linear"; factor: number }
  | { type: "dynamic"; factor: number }
  | {
      type: "llama3";
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

/** A decoder-only causal LM config (HF `config.json`), with names in camelCase and defaults applied. */
export interface ModelConfig {
  architecture: ModelArchitecture;
  /** HF `model_type` ("qwen2", "qwen3", "llama"); informational. */
  modelType: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (GQA); query head j uses kv head floor(j / (numHeads / numKvHeads)). */
  numKvHeads: number;
  /** `head_dim` when given (Llama 3.2, Qwen3-style), else hiddenSize / numHeads. */
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  rmsNormEps: number;
  /** When true there may be no `lm_head.weight`; the output projection is `model.embed_tokens.weight`. */
  tieWordEmbeddings: boolean;
  /** Which attention projections carry a bias: Qwen2 has q/k/v biases and none on o_proj; Llama uses `attention_bias` for all four. */
  attentionBias: { qkv: boolean; output: boolean };
  /** Llama `mlp_bias` (gate/up/down biases); always false for Qwen2 / Qwen3. */
  mlpBias: boolean;
  /**
   * Qwen3: RMSNorm over head_dim on each query and key head (`self_attn.q_norm` / `k_norm`, eps rms_norm_eps),
   * after the projections and before RoPE. False for Qwen2 / Llama.
   */
  qkNorm: boolean;
  /** Only "silu" is accepted (both families' SwiGLU MLP). */
  hiddenAct: "silu";
  bosTokenId: number | null;
  /** `eos_token_id` as a list (HF allows a number or a list). */
  eosTokenIds: number[];
  padTokenId: number | null;
  /** `torch_dtype` (or newer `dtype`) as written, e.g. "bfloat16"; null when absent. */
  torchDtype: string | null;
}

export const CONFIG_FILE = "config.json";
export const GENERATION_CONFIG_FILE = "generation_config.json";

/**
 * HF defaults for fields a config may omit, per family (from the transformers config classes). `headDim` and
 * `numKvHeads` null: derived (hidden_size / num_attention_heads, num_attention_heads); Qwen3Config has fixed
 * defaults for both (128 and 32) and derives the kv heads only from an explicit null.
 */
const FAMILY_DEFAULTS: Record<
  ModelArchitecture,
  {
    maxPositionEmbeddings: number;
    ropeTheta: number;
    rmsNormEps: number;
    modelType: string;
    headDim: number | null;
    numKvHeads: number | null;
  }
> = {
  Qwen2ForCausalLM: {
    maxPositionEmbeddings: 32768,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    modelType: "qwen2",
    headDim: null,
    numKvHeads: null,
  },
  Qwen3ForCausalLM: {
    maxPositionEmbeddings: 32768,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    modelType: "qwen3",
    headDim: 128,
    numKvHeads: 32,
  },
  LlamaForCausalLM: {
    maxPositionEmbeddings: 2048,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    modelType: "llama",
    headDim: null,
    numKvHeads: null,
  },
};

function isSupportedArchitecture(name: string): name is ModelArchitecture {
  return (SUPPORTED_ARCHITECTURES as readonly string[]).includes(name);
}

function parseArchitecture(fields: FieldReader): ModelArchitecture {
  const list = fields.maybeStringList("architectures");
  if (list === undefined || list.length === 0) {
    return fields.fail(
      "architectures",
      `expected a list naming one of ${SUPPORTED_ARCHITECTURES.join(", ")}, found ${describeValue(fields.object.architectures)}`,
    );
  }
  const name = list[0] as string;
  if (name === "Qwen3MoeForCausalLM") {
    return fields.fail(
      "architectures",
      `"${name}" (Qwen3 mixture-of-experts) is not supported: only dense decoders are (${SUPPORTED_ARCHITECTURES.join(", ")})`,
    );
  }
  if (!isSupportedArchitecture(name)) {
    return fields.fail(
      "architectures",
      `unsupported architecture "${name}" (supported: ${SUPPORTED_ARCHITECTURES.join(", ")})`,
    );
  }
  return name;
}

/** `{}`: falsy to transformers' `rope_scaling or rope_parameters`, so the next source is read. */
function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}

function parseRopeScaling(
  fields: FieldReader,
  key: string,
  maxPositionEmbeddings: number,
): RopeScaling | null {
  const scaling = fields.nested(key);
  if (scaling === undefined) return null;
  // transformers renamed "type" to "rope_type"; both appear in published configs.
  const typeKey = scaling.present("rope_type") ? "rope_type" : "type";
  const type = scaling.maybeString(typeKey);
  if (type === undefined) return scaling.fail(typeKey, "expected a rope type string");
  const positiveFactor = (): number => {
    const factor = scaling.requiredNumber("factor");
    if (factor <= 0) scaling.fail("factor", `expected a positive number, found ${factor}`);
    return factor;
  };
  switch (type) {
    case "default":
      return null;
    case "linear":
      return { type, factor: positiveFactor() };
    case "dynamic":
      return { type, factor: positiveFactor() };
    case "llama3": {
      const lowFreqFactor = scaling.requiredNumber("low_freq_factor");
      const highFreqFactor = scaling.requiredNumber("high_freq_factor");
      if (!(highFreqFactor > lowFreqFactor)) {
        scaling.fail("high_freq_factor", `must be greater than low_freq_factor (${lowFreqFactor})`);
      }
      return {
        type,
        factor: positiveFactor(),
        lowFreqFactor,
        highFreqFactor,
        originalMaxPositionEmbeddings: scaling.optionalInt(
          "original_max_position_embeddings",
          maxPositionEmbeddings,
          1,
        ),
      };
    }
    default:
      return scaling.fail(
        typeKey,
        `unsupported rope scaling type "${type}" (supported: default, linear, dynamic, llama3)`,
      );
  }
}

/**
 * Validate and normalise a parsed `config.json`. `file` is used in error messages only.
 * Required: architectures, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
 * vocab_size. Everything else falls back to the transformers default of the family.
 */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  const fields = fieldReader(expectObject(json, file), file);
  const architecture = parseArchitecture(fields);
  const defaults = FAMILY_DEFAULTS[architecture];

  const hiddenSize = fields.requiredInt("hidden_size", 1);
  const numLayers = fields.requiredInt("num_hidden_layers", 1);
  const numHeads = fields.requiredInt("num_attention_heads", 1);
  // An explicit null is transformers' None: as many kv heads as query heads (every family).
  const numKvHeads =
    fields.object.num_key_value_heads === null
      ? numHeads
      : fields.optionalInt("num_key_value_heads", defaults.numKvHeads ?? numHeads, 1);
  if (numHeads % numKvHeads !== 0) {
    fields.fail(
      "num_key_value_heads",
      `num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`,
    );
  }
  if (!fields.present("head_dim") && defaults.headDim === null && hiddenSize % numHeads !== 0) {
    fields.fail(
      "hidden_size",
      `without head_dim, hidden_size (${hiddenSize}) must be a multiple of num_attention_heads (${numHeads})`,
    );
  }
  const headDim = fields.optionalInt("head_dim", defaults.headDim ?? hiddenSize / numHeads, 1);
  if (headDim % 2 !== 0) fields.fail("head_dim", `RoPE needs an even head_dim, found ${headDim}`);

  const hiddenAct = fields.maybeString("hidden_act") ?? "silu";
  if (hiddenAct !== "silu") {
    fields.fail("hidden_act", `only "silu" is supported, found "${hiddenAct}"`);
  }
  // transformers loads such a checkpoint quantized (GPTQ / AWQ packed integers, FP8 with scales, bitsandbytes):
  // its tensors are not the float weights read here, and the first missing one would be all the user saw.
  const quantization = fields.object.quantization_config;
  if (quantization !== undefined && quantization !== null) {
    const method = isJsonObject(quantization) ? quantization.quant_method : undefined;
    fields.fail(
      "quantization_config",
      `quantized checkpoints are not supported${typeof method === "string" ? ` (quant_method "${method}")` : ""}; ` +
        "use the unquantized model (F32 / F16 / BF16 weights)",
    );
  }
  const qwen = architecture === "Qwen2ForCausalLM" || architecture === "Qwen3ForCausalLM";
  if (qwen && fields.optionalBoolean("use_sliding_window", false)) {
    fields.fail("use_sliding_window", "sliding-window attention is not supported");
  }
  // `layer_types` (transformers 5's save_pretrained writes it) needs no check: Qwen2/Qwen3Config set
  // sliding_window to None unless use_sliding_window, so even a "sliding_attention" layer attends to everything.

  const maxPositionEmbeddings = fields.optionalInt(
    "max_position_embeddings",
    defaults.maxPositionEmbeddings,
    1,
  );
  // Newer transformers nest rope_theta / rope_type under `rope_parameters`. transformers 5.17
  // (convert_rope_params_to_dict) takes `rope_scaling` when it is a non-empty object, else `rope_parameters`,
  // and rope_theta from the dict it took before the top-level field.
  const ropeKey =
    fields.present("rope_scaling") && !isEmptyObject(fields.object.rope_scaling)
      ? "rope_scaling"
      : fields.present("rope_parameters")
        ? "rope_parameters"
        : null;
  const ropeDict = ropeKey === null ? undefined : fields.nested(ropeKey);
  const ropeThetaReader = ropeDict?.present("rope_theta") ? ropeDict : fields;
  const ropeTheta = ropeThetaReader.optionalNumber("rope_theta", defaults.ropeTheta);
  if (ropeTheta <= 0) ropeThetaReader.fail("rope_theta", `expected a positive number, found ${ropeTheta}`);
  const ropeScaling = ropeKey === null ? null : parseRopeScaling(fields, ropeKey, maxPositionEmbeddings);

  const rmsNormEps = fields.optionalNumber("rms_norm_eps", defaults.rmsNormEps);
  if (rmsNormEps <= 0) fields.fail("rms_norm_eps", `expected a positive number, found ${rmsNormEps}`);

  // Qwen2 hard-codes q/k/v biases; Llama and Qwen3 read `attention_bias` for all four projections.
  const configAttentionBias =
    architecture !== "Qwen2ForCausalLM" && fields.optionalBoolean("attention_bias", false);
  const attentionBias =
    architecture === "Qwen2ForCausalLM"
      ? { qkv: true, output: false }
      : { qkv: configAttentionBias, output: configAttentionBias };

  const torchDtype = fields.maybeString("torch_dtype") ?? fields.maybeString("dtype") ?? null;

  return {
    architecture,
    modelType: fields.maybeString("model_type") ?? defaults.modelType,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: fields.requiredInt("intermediate_size", 1),
    vocabSize: fields.requiredInt("vocab_size", 1),
    maxPositionEmbeddings,
    ropeTheta,
    ropeScaling,
    rmsNormEps,
    tieWordEmbeddings: fields.optionalBoolean("tie_word_embeddings", false),
    attentionBias,
    mlpBias: architecture === "LlamaForCausalLM" && fields.optionalBoolean("mlp_bias", false),
    qkNorm: architecture === "Qwen3ForCausalLM",
    hiddenAct: "silu",
    bosTokenId: fields.maybeInt("bos_token_id", 0) ?? null,
    eosTokenIds: fields.intList("eos_token_id"),
    padTokenId: fields.maybeInt("pad_token_id", 0) ?? null,
    torchDtype,
  };
}

/** Sampling defaults and stop ids (HF `generation_config.json`), defaults applied. */
export interface GenerationConfig {
  /** Every id that ends generation (HF allows a number or a list). */
  eosTokenIds: number[];
  bosTokenId: number | null;
  padTokenId: number | null;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  /** transformers' `min_p` (MinPLogitsWarper, when sampling); null when unset, as its default None: off. */
  minP: number | null;
  repetitionPenalty: number;
  maxNewTokens: number | null;
  maxLength: number | null;
}

/** transformers' GenerationConfig defaults, with stop ids taken from the model config. */
export function defaultGenerationConfig(model?: ModelConfig): GenerationConfig {
  return {
    eosTokenIds: model ? [...model.eosTokenIds] : [],
    bosTokenId: model?.bosTokenId ?? null,
    padTokenId: model?.padTokenId ?? null,
    doSample: false,
    temperature: 1,
    topK: 50,
    topP: 1,
    minP: null,
    repetitionPenalty: 1,
    maxNewTokens: null,
    maxLength: null,
  };
}

/**
 * Validate a parsed `generation_config.json`. Missing fields take transformers' defaults; missing
 * eos/bos/pad ids fall back to `model` when given (transformers does the same when it builds a
 * generation config from the model config).
 */
export function parseGenerationConfig(json: unknown, file: string, model?: ModelConfig): GenerationConfig {
  const fields = fieldReader(expectObject(json, file), file);
  const base = defaultGenerationConfig(model);
  const eos = fields.intList("eos_token_id");
  const temperature = fields.optionalNumber("temperature", base.temperature);
  if (temperature < 0) fields.fail("temperature", `expected >= 0, found ${temperature}`);
  const topP = fields.optionalNumber("top_p", base.topP);
  if (topP <= 0 || topP > 1) fields.fail("top_p", `expected a number in (0, 1], found ${topP}`);
  // null is transformers' None (off), as a missing field.
  const minP = fields.maybeNumber("min_p");
  if (minP !== undefined && !(minP >= 0 && minP <= 1))
    fields.fail("min_p", `expected a number in [0, 1], found ${minP}`);
  const repetitionPenalty = fields.optionalNumber("repetition_penalty", base.repetitionPenalty);
  if (repetitionPenalty <= 0) {
    fields.fail("repetition_penalty", `expected a positive number, found ${repetitionPenalty}`);
  }
  return {
    eosTokenIds: eos.length > 0 ? eos : base.eosTokenIds,
    bosTokenId: fields.maybeInt("bos_token_id", 0) ?? base.bosTokenId,
    padTokenId: fields.maybeInt("pad_token_id", 0) ?? base.padTokenId,
    doSample: fields.optionalBoolean("do_sample", base.doSample),
    temperature,
    // HF treats top_k 0 as "disabled"; we keep the number and let samplers decide.
    topK: fields.optionalInt("top_k", base.topK, 0),
    topP,
    minP: minP ?? base.minP,
    repetitionPenalty,
    maxNewTokens: fields.maybeInt("max_new_tokens", 1) ?? base.maxNewTokens,
    maxLength: fields.maybeInt("max_length", 1) ?? base.maxLength,
  };
}

/** Read and parse a JSON file, with the file path in every error. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(file, `cannot read file (${reason})`);
  }
  return parseJsonText(text, file);
}

async function fileExists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `<dir>/config.json` → {@link ModelConfig}. */
export async function loadModelConfig(dir: string): Promise<ModelConfig> {
  const file = path.join(dir, CONFIG_FILE);
  return parseModelConfig(await readJsonFile(file), file);
}

/**
 * `<dir>/generation_config.json` → {@link GenerationConfig}; when the file does not exist, the
 * transformers defaults with the model's stop ids.
 */
export async function loadGenerationConfig(dir: string, model?: ModelConfig): Promise<GenerationConfig> {
  const file = path.join(dir, GENERATION_CONFIG_FILE);
  if (!(await fileExists(file))) return defaultGenerationConfig(model);
  return parseGenerationConfig(await readJsonFile(file), file, model);
}
