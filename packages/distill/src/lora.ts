/**
 * LoRA as explicit trainable matrices. PEFT stores A [r, in] and B [out, r] and computes
 * y = x W^T + b + s * (x A^T) B^T. We keep the transposes, A^T [in, r] and B^T [r, out], as the tf.Variables,
 * so the forward pass is two plain 2-D products (the fast path on wasm); conversion to PEFT's layout happens
 * only when saving or loading.
 */
import {
  createLoraConfig,
  type LoraAdapter,
  type LoraConfig,
  type LoraModuleWeights,
  loraRank,
  loraScale,
  type ModelConfig,
  PROJECTION_MODULES,
  projectionPath,
  projectionShape,
} from "@ssb/model";
import { createRng } from "./rng.js";
import { tf } from "./tf.js";

export interface LoraLayer {
  /** Base-model module path, e.g. "model.layers.0.self_attn.q_proj". */
  modulePath: string;
  /** A^T, [in, r]. */
  aT: tf.Variable;
  /** B^T, [r, out]. */
  bT: tf.Variable;
  /** lora_alpha / r (or / sqrt(r) with rsLoRA). */
  scale: number;
  dropout: number;
}

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout?: number;
  /** Module names ("q_proj", ...) or one regex matched against the full module path (PEFT's rule). */
  targetModules?: string[] | string;
  useRslora?: boolean;
}

/** The paper's setting: r 32, alpha 32, no dropout, all seven projections. */
export const PAPER_LORA: Required<LoraSettings> = {
  r: 32,
  alpha: 32,
  dropout: 0,
  targetModules: [...PROJECTION_MODULES],
  useRslora: false,
};

export function loraConfigFrom(settings: LoraSettings, baseModel: string | null = null): LoraConfig {
  return createLoraConfig({
    r: settings.r,
    loraAlpha: settings.alpha,
    targetModules: settings.targetModules ?? [...PROJECTION_MODULES],
    useRslora: settings.useRslora ?? false,
    loraDropout: settings.dropout ?? 0,
    baseModelNameOrPath: baseModel,
  });
}

/** PEFT's matching: a list matches when the path ends with ".<name>" (or equals it); a string is a full regex. */
export function isTargetModule(targetModules: string[] | string, modulePath: string): boolean {
  if (typeof targetModules === "string") return new RegExp(`^(?:${targetModules})$`).test(modulePath);
  return targetModules.some((name) => modulePath === name || modulePath.endsWith(`.${name}`));
}

/** Every projection of the decoder that the config targets, in layer order. */
export function targetedProjections(model: ModelConfig, config: LoraConfig): string[] {
  const paths: string[] = [];
  for (let layer = 0; layer < model.numLayers; layer++) {
    for (const module of PROJECTION_MODULES) {
      const modulePath = projectionPath(layer, module);
      if (isTargetModule(config.targetModules, modulePath)) paths.push(modulePath);
    }
  }
  if (paths.length === 0) {
    throw new Error(
      `LoRA target_modules ${JSON.stringify(config.targetModules)} match no projection of the model`,
    );
  }
  return paths;
}

function shapeOf(model: ModelConfig, modulePath: string): [number, number] {
  const module = PROJECTION_MODULES.find((m) => modulePath.endsWith(`.${m}`));
  if (!module) throw new Error(`"${modulePath}" is not a projection module`);
  return projectionShape(model, module);
}

/**
 * Refuse a rank no targeted projection can use: r above min(in_features, out_features) adds parameters but no
 * expressiveness (the update B A already has full rank), and a huge r (e.g. 100000) aborts the wasm heap with a
 * bare "memory access out of bounds" while the matrices are allocated. `where` names the config's source.
 */
export function checkLoraRank(model: ModelConfig, config: LoraConfig, where: string): void {
  // Of the projections the rank does not fit, the one with the smallest bound: the advice then holds for all.
  let worst: { modulePath: string; r: number; out: number; inDim: number; most: number } | null = null;
  for (const modulePath of targetedProjections(model, config)) {
    const [out, inDim] = shapeOf(model, modulePath);
    const r = loraRank(config, modulePath);
    const most = Math.min(out, inDim);
    if (r > most && (worst === null || most < worst.most)) worst = { modulePath, r, out, inDim, most };
  }
  if (worst) {
    const { modulePath, r, out, inDim, most } = worst;
    throw new Error(
      `${where}: field "lora.r" is ${r}, more than min(in_features, out_features) = ${most} of ${modulePath} [${out} x ${inDim}]; use lora.r <= ${most}`,
    );
  }
}

/**
 * Fresh adapter with PEFT's default init: A ~ kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
 * B = 0 (so training starts from the base model). Seeded.
 */
export function initLora(model: ModelConfig, config: LoraConfig, seed: number): Map<string, LoraLayer> {
  checkLoraRank(model, config, "LoRA config");
  const layers = new Map<string, LoraLayer>();
  for (const modulePath of targetedProjections(model, config)) {
    const [out, inDim] = shapeOf(model, modulePath);
    const r = loraRank(config, modulePath);
    const rng = createRng(seed, "lora_A", modulePath);
    const bound = 1 / Math.sqrt(inDim);
    const aT = new Float32Array(inDim * r);
    // Drawn in PEFT's A [r, in] order, stored transposed.
    for (let i = 0; i < r; i++) for (let j = 0; j < inDim; j++) aT[j * r + i] = (2 * rng.next() - 1) * bound;
    // Made in tidy: the tensor a variable starts from is freed (it kept the initial values alive).
    layers.set(modulePath, {
      modulePath,
      aT: tf.tidy(() => tf.variable(tf.tensor2d(aT, [inDim, r]))),
      bT: tf.tidy(() => tf.variable(tf.zeros([r, out]))),
      scale: loraScale(config, modulePath),
      dropout: config.loraDropout,
    });
  }
  return layers;
}

/**
 * Why LoRA layers already on a model (an adapter loaded to continue from) do not fit `config`, or null. The
 * trainer saves the adapter with `config`: layers of another rank, scale (alpha / r, or / sqrt(r)) or module set
 * would be written with settings they were not trained with, and PEFT would load them at another scale.
 */
export function loraLayersMismatch(
  model: ModelConfig,
  layers: Map<string, LoraLayer>,
  config: LoraConfig,
): string | null {
  const wanted = targetedProjections(model, config);
  const listed = (paths: string[]): string =>
    `${paths.slice(0, 3).join(", ")}${paths.length > 3 ? ` and ${paths.length - 3} more` : ""}`;
  const missing = wanted.filter((p) => !layers.has(p));
  if (missing.length > 0) return `lora.targetModules names ${listed(missing)}, which the model's LoRA lacks`;
  const extra = [...layers.keys()].filter((p) => !wanted.includes(p));
  if (extra.length > 0)
    return `the model's LoRA adapts ${listed(extra)}, which lora.targetModules does not name`;
  for (const [modulePath, layer] of layers) {
    const r = layer.aT.shape[1] as number;
    if (r !== loraRank(config, modulePath))
      return `${modulePath} has r ${r}, lora.r is ${loraRank(config, modulePath)}`;
    const scale = loraScale(config, modulePath);
    if (Math.abs(layer.scale - scale) > 1e-9 * scale)
      return `${modulePath} is scaled by ${layer.scale}, lora.alpha and lora.useRslora give ${scale}`;
  }
  return null;
}

function transposeHost(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j] as number;
  return out;
}

/** Build the trainable layers from a PEFT adapter (e.g. to continue training or to evaluate it). */
export function loraFromAdapter(model: ModelConfig, adapter: LoraAdapter): Map<string, LoraLayer> {
  const layers = new Map<string, LoraLayer>();
  for (const [modulePath, { a, b }] of adapter.modules) {
    const [out, inDim] = shapeOf(model, modulePath);
    const r = a.shape[0] as number;
    if (a.shape[1] !== inDim || b.shape[0] !== out) {
      throw new Error(
        `adapter module "${modulePath}": A [${a.shape.join(", ")}] / B [${b.shape.join(", ")}] do not fit the base projection [${out}, ${inDim}]`,
      );
    }
    layers.set(modulePath, {
      modulePath,
      aT: tf.tidy(() => tf.variable(tf.tensor2d(transposeHost(a.data, r, inDim), [inDim, r]))),
      bT: tf.tidy(() => tf.variable(tf.tensor2d(transposeHost(b.data, out, r), [r, out]))),
      scale: loraScale(adapter.config, modulePath),
      dropout: adapter.config.loraDropout,
    });
  }
  return layers;
}

/** Snapshot the layers as a PEFT adapter (host copies), ready for @ssb/model's saveAdapter. */
export function loraToAdapter(layers: Map<string, LoraLayer>, config: LoraConfig): LoraAdapter {
  const modules = new Map<string, LoraModuleWeights>();
  for (const [modulePath, layer] of layers) {
    const [inDim, r] = layer.aT.shape as [number, number];
    const out = layer.bT.shape[1] as number;
    modules.set(modulePath, {
      a: {
        name: `${modulePath}.lora_A`,
        shape: [r, inDim],
        data: transposeHost(layer.aT.dataSync() as Float32Array, inDim, r),
      },
      b: {
        name: `${modulePath}.lora_B`,
        shape: [out, r],
        data: transposeHost(layer.bT.dataSync() as Float32Array, r, out),
      },
    });
  }
  return { config, modules };
}

/** Convert a gradient of A^T [in, r] (or B^T [r, out]) to PEFT's layout (tests compare against PyTorch). */
export function toPeftLayout(transposed: tf.Tensor): Float32Array {
  const [rows, cols] = transposed.shape as [number, number];
  return transposeHost(transposed.dataSync() as Float32Array, rows, cols);
}

export function disposeLora(layers: Map<string, LoraLayer>): void {
  for (const layer of layers.values()) {
    layer.aT.dispose();
    layer.bT.dispose();
  }
}
