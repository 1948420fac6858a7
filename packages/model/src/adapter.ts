/**
 * PEFT LoRA adapters: `adapter_config.json` + `adapter_model.safetensors`, with PEFT's key names
 * (`base_model.model.<module>.lora_A.weight` [r, in], `.lora_B.weight` [out, r]), and the merge
 * W' = W + scale * B @ A, where scale = lora_alpha / r (or lora_alpha / sqrt(r) with rsLoRA).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "@ssb/durable-files";
import { readJsonFile } from "./config.js";
import { type FloatDtype, fromFloat32 } from "./dtype.js";
import {
  describeValue,
  expectObject,
  fieldReader,
  isJsonObject,
  type JsonObject,
  ModelFileError,
} from "./json-fields.js";
import {
  elementCount,
  type Float32Tensor,
  openSafetensors,
  type RawTensor,
  type TensorInfo,
  type TensorSource,
} from "./safetensors.js";
import { type TensorToWrite, writeSafetensors } from "./safetensors-writer.js";

export const ADAPTER_CONFIG_FILE = "adapter_config.json";
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";
/** PEFT prefixes every key with the wrapper path of PeftModel -> LoraModel. */
export const PEFT_KEY_PREFIX = "base_model.model.";

/** `adapter_config.json` for a LoRA adapter (PEFT field names in camelCase). */
export interface LoraConfig {
  r: number;
  loraAlpha: number;
  /** rsLoRA: scale alpha / sqrt(r) instead of alpha / r. */
  useRslora: boolean;
  /** Module names (e.g. "q_proj") or, as PEFT allows, one regex string matched against full module paths. */
  targetModules: string[] | string;
  baseModelNameOrPath: string | null;
  loraDropout: number;
  /** Per-module overrides of r / lora_alpha: PEFT pattern (matched at the end of a module path) -> value. */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  taskType: string | null;
  /** Other fields of the file, kept so a read-then-write round trip loses nothing. */
  extra: JsonObject;
}

export interface LoraModuleWeights {
  /** lora_A.weight, shape [r, in]. */
  a: Float32Tensor;
  /** lora_B.weight, shape [out, r]. */
  b: Float32Tensor;
}

export interface LoraAdapter {
  config: LoraConfig;
  /** Keyed by base-model module path, e.g. "model.layers.0.self_attn.q_proj". */
  modules: Map<string, LoraModuleWeights>;
  /** The weights file it was loaded from (set by {@link loadAdapter}), named in merge errors. */
  file?: string;
}

/** Fields we interpret; everything else goes to `extra` and back out unchanged. */
const KNOWN_FIELDS = new Set([
  "peft_type",
  "r",
  "lora_alpha",
  "use_rslora",
  "target_modules",
  "base_model_name_or_path",
  "lora_dropout",
  "rank_pattern",
  "alpha_pattern",
  "task_type",
]);

function numberMap(value: unknown, file: string, field: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value))
    throw new ModelFileError(file, `expected an object, found ${describeValue(value)}`, field);
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new ModelFileError(
        file,
        `expected a positive number, found ${describeValue(v)}`,
        `${field}.${key}`,
      );
    }
    // PEFT matches these keys as regular expressions; one that does not compile fails here, named, not at merge.
    try {
      new RegExp(key);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ModelFileError(file, `not a valid regular expression (${reason})`, `${field}.${key}`);
    }
    out[key] = v;
  }
  return out;
}

/**
 * Validate a parsed `adapter_config.json`. Variants whose merge is not W + s * B @ A (DoRA,
 * fan_in_fan_out, trained biases) are refused rather than merged wrong.
 */
export function parseAdapterConfig(json: unknown, file: string): LoraConfig {
  const object = expectObject(json, file);
  const fields = fieldReader(object, file);
  const peftType = fields.maybeString("peft_type") ?? "LORA";
  if (peftType !== "LORA") fields.fail("peft_type", `only LORA adapters are supported, found "${peftType}"`);
  if (fields.optionalBoolean("use_dora", false)) fields.fail("use_dora", "DoRA adapters are not supported");
  if (fields.optionalBoolean("fan_in_fan_out", false)) {
    fields.fail("fan_in_fan_out", "fan_in_fan_out (Conv1D / GPT-2 layout) is not supported");
  }
  const bias = fields.maybeString("bias") ?? "none";
  if (bias !== "none") fields.fail("bias", `only "none" is supported, found "${bias}"`);
  if (fields.optionalBoolean("lora_bias", false)) fields.fail("lora_bias", "LoRA biases are not supported");
  // PEFT saves these modules whole (lm_head, embed_tokens: often with added tokens); a merge of the LoRA
  // matrices alone would keep the base's and give a model unlike the one trained, without a word.
  const toSave = object.modules_to_save;
  if (toSave !== undefined && toSave !== null && !(Array.isArray(toSave) && toSave.length === 0)) {
    fields.fail(
      "modules_to_save",
      `adapters that also save whole modules are not supported, found ${JSON.stringify(toSave)}`,
    );
  }

  const target = object.target_modules;
  let targetModules: string[] | string;
  if (typeof target === "string") targetModules = target;
  else
    targetModules =
      fields.maybeStringList("target_modules") ??
      fields.fail("target_modules", "expected a list of module names or a regex string");

  const loraAlpha = fields.requiredNumber("lora_alpha");
  if (loraAlpha <= 0) fields.fail("lora_alpha", `expected a positive number, found ${loraAlpha}`);
  const extra: JsonObject = {};
  for (const [key, value] of Object.entries(object)) if (!KNOWN_FIELDS.has(key)) extra[key] = value;
  return {
    r: fields.requiredInt("r", 1),
    loraAlpha,
    useRslora: fields.optionalBoolean("use_rslora", false),
    targetModules,
    baseModelNameOrPath: fields.maybeString("base_model_name_or_path") ?? null,
    loraDropout: fields.optionalNumber("lora_dropout", 0),
    rankPattern: numberMap(object.rank_pattern, file, "rank_pattern"),
    alphaPattern: numberMap(object.alpha_pattern, file, "alpha_pattern"),
    taskType: fields.maybeString("task_type") ?? null,
    extra,
  };
}

/** A LoRA config with PEFT's defaults for everything not given. */
export function createLoraConfig(
  options: Pick<LoraConfig, "r" | "loraAlpha" | "targetModules"> & Partial<LoraConfig>,
): LoraConfig {
  return {
    useRslora: false,
    baseModelNameOrPath: null,
    loraDropout: 0,
    rankPattern: {},
    alphaPattern: {},
    taskType: "CAUSAL_LM",
    extra: {},
    ...options,
  };
}

/** The `adapter_config.json` object PEFT writes (and reads back) for this config. */
export function adapterConfigToJson(config: LoraConfig): JsonObject {
  const json: JsonObject = {
    alpha_pattern: config.alphaPattern,
    auto_mapping: null,
    base_model_name_or_path: config.baseModelNameOrPath,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: config.loraAlpha,
    lora_bias: false,
    lora_dropout: config.loraDropout,
    modules_to_save: null,
    peft_type: "LORA",
    r: config.r,
    rank_pattern: config.rankPattern,
    revision: null,
    target_modules: Array.isArray(config.targetModules) ? [...config.targetModules] : config.targetModules,
    task_type: config.taskType,
    use_dora: false,
    use_rslora: config.useRslora,
    ...config.extra,
  };
  // Stable, PEFT-like key order (sorted), so files diff cleanly.
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** PEFT pattern lookup: a key matches a module path when the path ends with it at a "." boundary (regex allowed). */
function patternValue(patterns: Record<string, number>, modulePath: string): number | undefined {
  for (const [pattern, value] of Object.entries(patterns)) {
    if (new RegExp(`^(.*\\.)?(${pattern})$`).test(modulePath)) return value;
  }
  return undefined;
}

/** r for one module, with `rank_pattern` applied. */
export function loraRank(config: LoraConfig, modulePath: string): number {
  return patternValue(config.rankPattern, modulePath) ?? config.r;
}

/** The LoRA scale of one module: alpha / r, or alpha / sqrt(r) with rsLoRA (patterns applied). */
export function loraScale(config: LoraConfig, modulePath: string): number {
  const r = loraRank(config, modulePath);
  const alpha = patternValue(config.alphaPattern, modulePath) ?? config.loraAlpha;
  return config.useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** PEFT tensor key of a module's A or B matrix. */
export function peftKey(modulePath: string, matrix: "A" | "B"): string {
  return `${PEFT_KEY_PREFIX}${modulePath}.lora_${matrix}.weight`;
}

// PEFT writes `<prefix><module>.lora_A.weight`; some tools keep the adapter name (`lora_A.default.weight`).
const KEY_PATTERN = /^base_model\.model\.(.+)\.lora_(A|B)(?:\.[A-Za-z0-9_-]+)?\.weight$/;

/** Split a PEFT key into module path and matrix, or undefined when it is not a LoRA A/B key. */
export function parsePeftKey(key: string): { modulePath: string; matrix: "A" | "B" } | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { modulePath: match[1] as string, matrix: match[2] as "A" | "B" };
}

/** Check shapes: A [r, in], B [out, r], r as configured. Throws naming the file and tensor. */
function checkModule(config: LoraConfig, modulePath: string, weights: LoraModuleWeights, file: string): void {
  const { a, b } = weights;
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new ModelFileError(file, `tensor "${peftKey(modulePath, "A")}" / "lora_B": expected 2-D matrices`);
  }
  const r = loraRank(config, modulePath);
  if (a.shape[0] !== r || b.shape[1] !== r) {
    throw new ModelFileError(
      file,
      `module "${modulePath}": lora_A is [${a.shape.join(", ")}] and lora_B is [${b.shape.join(", ")}], expected rank r = ${r} from adapter_config.json`,
    );
  }
}

/** Read an adapter folder (adapters are small: all tensors are loaded, as float32). */
export async function loadAdapter(dir: string): Promise<LoraAdapter> {
  const configFile = path.join(dir, ADAPTER_CONFIG_FILE);
  const weightsFile = path.join(dir, ADAPTER_WEIGHTS_FILE);
  const config = parseAdapterConfig(await readJsonFile(configFile), configFile);
  const reader = await openSafetensors(weightsFile);
  const halves = new Map<string, Partial<LoraModuleWeights>>();
  try {
    for (const key of reader.names()) {
      const parsed = parsePeftKey(key);
      if (!parsed && /\.lora_embedding_[AB](\.|$)/.test(key)) {
        // PEFT's LoRA on an embedding (target_modules with embed_tokens) is stored transposed under its own names.
        throw new ModelFileError(
          weightsFile,
          `tensor "${key}": LoRA on an embedding layer (lora_embedding_A / _B, embed_tokens in target_modules) is not supported`,
        );
      }
      if (!parsed) {
        throw new ModelFileError(
          weightsFile,
          `tensor "${key}" is not a LoRA weight (expected ${PEFT_KEY_PREFIX}<module>.lora_A.weight or .lora_B.weight)`,
        );
      }
      const entry = halves.get(parsed.modulePath) ?? {};
      const tensor = await reader.readFloat32(key);
      if (parsed.matrix === "A") entry.a = tensor;
      else entry.b = tensor;
      halves.set(parsed.modulePath, entry);
    }
  } finally {
    await reader.close();
  }
  const modules = new Map<string, LoraModuleWeights>();
  for (const [modulePath, { a, b }] of halves) {
    if (!a || !b) {
      throw new ModelFileError(
        weightsFile,
        `module "${modulePath}" has lora_${a ? "A" : "B"} but no lora_${a ? "B" : "A"}`,
      );
    }
    checkModule(config, modulePath, { a, b }, weightsFile);
    modules.set(modulePath, { a, b });
  }
  if (modules.size === 0) throw new ModelFileError(weightsFile, "holds no LoRA weights");
  return { config, modules, file: weightsFile };
}

export interface SaveAdapterOptions {
  /** Storage dtype of the weights (default F32). */
  dtype?: FloatDtype;
}

/** Write `adapter_config.json` and `adapter_model.safetensors` (PEFT layout) into `dir`. */
export async function saveAdapter(
  dir: string,
  adapter: LoraAdapter,
  options: SaveAdapterOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? "F32";
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, TensorToWrite>();
  for (const [modulePath, weights] of adapter.modules) {
    checkModule(adapter.config, modulePath, weights, dir);
    tensors.set(peftKey(modulePath, "A"), {
      dtype,
      shape: weights.a.shape,
      data: () => fromFloat32(dtype, weights.a.data),
    });
    tensors.set(peftKey(modulePath, "B"), {
      dtype,
      shape: weights.b.shape,
      data: () => fromFloat32(dtype, weights.b.data),
    });
  }
  await writeSafetensors(path.join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: "pt" });
  // Whole or not at all, as the weights above (a crash mid-write left a truncated adapter_config.json beside
  // complete weights).
  await writeFileAtomic(
    path.join(dir, ADAPTER_CONFIG_FILE),
    `${JSON.stringify(adapterConfigToJson(adapter.config), null, 2)}\n`,
  );
}

/**
 * W' = W + scale * B @ A for one [out, in] weight, in float32 storage with float64 accumulation
 * per row (so the result is the float32 rounding of the exact sum). Returns a new array.
 */
export function mergeLoraWeight(
  weight: Float32Array,
  shape: readonly number[],
  a: Float32Tensor,
  b: Float32Tensor,
  scale: number,
): Float32Array {
  const [out, inDim] = shape as [number, number];
  const r = a.shape[0] as number;
  if (shape.length !== 2 || a.shape[1] !== inDim || b.shape[0] !== out || b.shape[1] !== r) {
    throw new Error(
      `mergeLoraWeight: W [${shape.join(", ")}], A [${a.shape.join(", ")}], B [${b.shape.join(", ")}] do not fit W [out, in], A [r, in], B [out, r]`,
    );
  }
  const merged = new Float32Array(weight.length);
  const row = new Float64Array(inDim);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const coefficient = b.data[o * r + k] as number;
      if (coefficient === 0) continue;
      const aRow = k * inDim;
      for (let i = 0; i < inDim; i++)
        row[i] = (row[i] as number) + coefficient * (a.data[aRow + i] as number);
    }
    const base = o * inDim;
    for (let i = 0; i < inDim; i++)
      merged[base + i] = (weight[base + i] as number) + scale * (row[i] as number);
  }
  return merged;
}

/**
 * Base weights with the adapter merged in, as a lazy {@link TensorSource}: each adapted
 * `<module>.weight` is read, merged and returned as F32 when asked for; every other tensor passes
 * through untouched (original dtype). Nothing is held in memory, so a 3B checkpoint can be merged
 * tensor by tensor while exporting. Every adapter module is checked against the base up front.
 * For merged tensors, `info()` reports dtype F32 and the byte length of the float32 data; its
 * file / offsets still describe the base tensor.
 */
/** The hint for an adapter that does not fit the base: it was likely trained on another model. */
function otherBase(adapter: LoraAdapter): string {
  const trainedOn = adapter.config.baseModelNameOrPath;
  const on = trainedOn === null ? "" : ` (its adapter_config.json names "${trainedOn}")`;
  return `; was the adapter trained on another base model${on}?`;
}

export function mergeAdapter(base: TensorSource, adapter: LoraAdapter): TensorSource {
  const merged = new Map<string, { module: LoraModuleWeights; scale: number }>();
  for (const [modulePath, module] of adapter.modules) {
    const name = `${modulePath}.weight`;
    if (!base.has(name)) {
      throw new ModelFileError(
        adapter.file ?? "adapter",
        `module "${modulePath}": the base model has no tensor "${name}"${otherBase(adapter)}`,
      );
    }
    const info = base.info(name);
    const shape = info.shape;
    if (shape.length !== 2 || shape[0] !== module.b.shape[0] || shape[1] !== module.a.shape[1]) {
      throw new ModelFileError(
        adapter.file ?? "adapter",
        `module "${modulePath}": B @ A is [${module.b.shape[0]}, ${module.a.shape[1]}] but "${name}" in ` +
          `${info.file} is [${shape.join(", ")}]${otherBase(adapter)}`,
      );
    }
    merged.set(name, { module, scale: loraScale(adapter.config, modulePath) });
  }

  const readFloat32 = async (name: string): Promise<Float32Tensor> => {
    const tensor = await base.readFloat32(name);
    const lora = merged.get(name);
    if (!lora) return tensor;
    return {
      name,
      shape: tensor.shape,
      data: mergeLoraWeight(tensor.data, tensor.shape, lora.module.a, lora.module.b, lora.scale),
    };
  };
  return {
    names: () => base.names(),
    has: (name) => base.has(name),
    info(name): TensorInfo {
      const info = base.info(name);
      if (!merged.has(name)) return info;
      return { ...info, dtype: "F32", byteLength: elementCount(info.shape) * 4 };
    },
    async read(name): Promise<RawTensor> {
      if (!merged.has(name)) return base.read(name);
      const tensor = await readFloat32(name);
      return { name, dtype: "F32", shape: tensor.shape, data: new Uint8Array(tensor.data.buffer) };
    },
    readFloat32,
    close: () => base.close(),
  };
}
