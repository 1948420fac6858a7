/**
 * The student: a Qwen2 / Qwen3 / Llama decoder in tfjs, top to bottom like the paper's figure.
 *
 *   x = embed(ids)
 *   for each layer:  x = x + attn(RMSNorm(x));  x = x + mlp(RMSNorm(x))
 *   logits = RMSNorm(x) W_lm^T
 *
 * attn: q,k,v projections (Qwen2: with bias; Qwen3: then an RMSNorm over each q and k head), RoPE (HF rotate_half: dim i pairs with i + D/2), GQA (query head
 * j reads kv head floor(j / group)), causal + key-padding mask, softmax(q k^T / sqrt(D)) v, o_proj.
 * mlp: down(silu(gate(x)) * up(x)).
 *
 * Every projection is a plain 2-D product with a pre-transposed weight W^T [in, out] (see matmul.ts for why),
 * plus an optional LoRA term s * (x A^T) B^T. Base weights are plain tensors (frozen) unless the model is
 * built for full-parameter training, in which case they are tf.Variables.
 */
import {
  EMBED_TOKENS_WEIGHT,
  FINAL_NORM_WEIGHT,
  type Float32Tensor,
  LM_HEAD_WEIGHT,
  layerWeightNames,
  type ModelConfig,
  PROJECTION_MODULES,
  type ProjectionModule,
  projectionPath,
  ropeInverseFrequencies,
} from "@ssb/model";
import type { LoraLayer } from "./lora.js";
import { matMul2d } from "./matmul.js";
import { tf } from "./tf.js";

export interface Linear {
  /** W^T, [in, out]. */
  wT: tf.Tensor2D;
  /**
   * W [out, in] (the checkpoint's own layout), kept beside W^T for a frozen weight on the wasm backend: the
   * input gradient dY W then needs no transpose of W^T every step (~1.5% of a LoRA step, bench/profile.ts).
   */
  w?: tf.Tensor2D;
  bias: tf.Tensor1D | null;
}

export interface DecoderLayer {
  inputNorm: tf.Tensor1D;
  postAttentionNorm: tf.Tensor1D;
  proj: Record<ProjectionModule, Linear>;
  /** Qwen3's q_norm / k_norm weights [D] (null for Qwen2 / Llama); trained in full-parameter mode only. */
  qkNorm: { q: tf.Tensor1D; k: tf.Tensor1D } | null;
}

export interface DecoderWeights {
  /** [V, E]. */
  embed: tf.Tensor2D;
  layers: DecoderLayer[];
  finalNorm: tf.Tensor1D;
  /** W_lm^T [E, V]; "tied" = transpose(embed), computed per forward (only when the embedding trains). */
  lmHeadT: tf.Tensor2D | "tied";
}

export type Trainable = "lora" | "full";

export interface DecoderModel {
  config: ModelConfig;
  weights: DecoderWeights;
  trainable: Trainable;
  /** LoRA layers by module path (empty when none). */
  lora: Map<string, LoraLayer>;
}

/** A right- or left-padded batch of token ids, row-major [batch, length]. */
export interface DecoderInput {
  inputIds: Int32Array;
  batch: number;
  length: number;
  /** Default 0..length-1 per row. With left padding use cumsum(mask) - 1. */
  positionIds?: Int32Array;
  /** 1 = real token, 0 = padding (masked as a key). Default all ones. */
  attentionMask?: Uint8Array;
}

/** Rows [start, start + length) of batch row `batch`: the positions whose logits are wanted. */
export interface RowSegment {
  batch: number;
  start: number;
  length: number;
}

export interface ForwardOptions {
  /** Apply LoRA dropout (training only). */
  training?: boolean;
  /** Seed for dropout masks, so a resumed run draws the same masks. */
  dropoutSeed?: number;
  /**
   * One dropout seed per batch row (instead of `dropoutSeed`): each sequence's masks are drawn from its own
   * seed, whatever else shares its batch and however long the padding, so the trainer's masks depend on
   * (seed, step, example) only, not on the micro-batch split or the data-parallel thread.
   */
  dropoutSeeds?: readonly number[];
}

/** Large finite negative: a fully masked query row (left pad) must not turn into NaN (0 * NaN leaks). */
const MASKED = -1e9;

export type ReadTensor = (name: string) => Promise<Float32Tensor>;

function transposeHost(t: Float32Tensor): tf.Tensor2D {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = t.data[i * cols + j] as number;
  return tf.tensor2d(out, [cols, rows]);
}

/**
 * Load the decoder's weights (HF names) through `read` — e.g. a checkpoint's `weights.readFloat32` from
 * @ssb/model. "lora": plain frozen tensors; "full": every weight a trainable tf.Variable.
 */
export async function loadDecoder(
  config: ModelConfig,
  read: ReadTensor,
  has: (name: string) => boolean,
  trainable: Trainable = "lora",
): Promise<DecoderModel> {
  // A variable shares its initial tensor's buffer: that tensor is disposed here, or it kept the loaded weights
  // alive beside the trained ones after the first update (the model's memory twice over).
  const wrap = <T extends tf.Tensor>(t: T, _name: string): T => {
    if (trainable !== "full") return t;
    const v = tf.variable(t);
    t.dispose();
    return v as unknown as T;
  };
  const vector = async (name: string): Promise<tf.Tensor1D> => {
    const t = await read(name);
    return wrap(tf.tensor1d(t.data), name);
  };
  // Only where transposes are expensive and the model is small (wasm): the copy doubles frozen weight memory.
  const keepHfLayout = trainable === "lora" && tf.getBackend() === "wasm";
  const embedHost = await read(EMBED_TOKENS_WEIGHT);
  const embed = wrap(tf.tensor2d(embedHost.data, embedHost.shape as [number, number]), EMBED_TOKENS_WEIGHT);
  const layers: DecoderLayer[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const names = layerWeightNames(config, l);
    const proj = {} as Record<ProjectionModule, Linear>;
    for (const module of PROJECTION_MODULES) {
      const biasName = names.bias[module];
      const weight = await read(names.weight[module]);
      proj[module] = {
        wT: wrap(transposeHost(weight), `${projectionPath(l, module)}.weight`),
        ...(keepHfLayout ? { w: tf.tensor2d(weight.data, weight.shape as [number, number]) } : {}),
        bias: biasName === undefined ? null : await vector(biasName),
      };
    }
    layers.push({
      inputNorm: await vector(names.inputNorm),
      postAttentionNorm: await vector(names.postAttentionNorm),
      proj,
      qkNorm: names.qkNorm && { q: await vector(names.qkNorm.q), k: await vector(names.qkNorm.k) },
    });
  }
  let lmHeadT: tf.Tensor2D | "tied";
  if (has(LM_HEAD_WEIGHT)) lmHeadT = wrap(transposeHost(await read(LM_HEAD_WEIGHT)), LM_HEAD_WEIGHT);
  else if (!config.tieWordEmbeddings)
    throw new Error(`no ${LM_HEAD_WEIGHT} and tie_word_embeddings is false`);
  else if (trainable === "full") lmHeadT = "tied";
  else lmHeadT = tf.transpose(embed); // frozen and tied: transpose once, not every step
  return {
    config,
    weights: { embed, layers, finalNorm: await vector(FINAL_NORM_WEIGHT), lmHeadT },
    trainable,
    lora: new Map(),
  };
}

/** Every base weight tensor of the model (trainable ones in full-parameter mode), with its HF name. */
export function baseTensors(model: DecoderModel): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const { weights, config } = model;
  out.set(EMBED_TOKENS_WEIGHT, weights.embed);
  weights.layers.forEach((layer, l) => {
    const names = layerWeightNames(config, l);
    out.set(names.inputNorm, layer.inputNorm);
    out.set(names.postAttentionNorm, layer.postAttentionNorm);
    if (layer.qkNorm && names.qkNorm) {
      out.set(names.qkNorm.q, layer.qkNorm.q);
      out.set(names.qkNorm.k, layer.qkNorm.k);
    }
    for (const module of PROJECTION_MODULES) {
      out.set(names.weight[module], layer.proj[module].wT);
      const bias = layer.proj[module].bias;
      const biasName = names.bias[module];
      if (bias && biasName) out.set(biasName, bias);
    }
  });
  out.set(FINAL_NORM_WEIGHT, weights.finalNorm);
  if (weights.lmHeadT !== "tied" && !(config.tieWordEmbeddings && model.trainable === "lora")) {
    out.set(LM_HEAD_WEIGHT, weights.lmHeadT);
  }
  return out;
}

export function disposeDecoder(model: DecoderModel): void {
  const { weights } = model;
  for (const t of baseTensors(model).values()) t.dispose();
  for (const layer of weights.layers)
    for (const module of PROJECTION_MODULES) layer.proj[module].w?.dispose();
  if (weights.lmHeadT !== "tied") weights.lmHeadT.dispose();
  for (const layer of model.lora.values()) {
    layer.aT.dispose();
    layer.bT.dispose();
  }
}

/** The variables an optimizer updates: LoRA A^T/B^T, or every base weight in full-parameter mode. */
export function trainableVariables(model: DecoderModel): tf.Variable[] {
  if (model.trainable === "full") return [...baseTensors(model).values()] as tf.Variable[];
  const vars: tf.Variable[] = [];
  for (const layer of model.lora.values()) vars.push(layer.aT, layer.bT);
  return vars;
}

/**
 * Which of trainableVariables() weight decay applies to. LoRA: every A and B (PEFT's LoRA layers have no bias,
 * and transformers' Trainer decays lora_A / lora_B). Full-parameter: every weight matrix (embedding, projections,
 * untied head) but not the biases nor the RMSNorm weights (Qwen3's q_norm / k_norm included), as transformers' Trainer
 * (get_decay_parameter_names) leaves biases and norm layers out; decaying a norm weight pulls it towards 0,
 * not towards its init of 1.
 */
export function weightDecayMask(model: DecoderModel): boolean[] {
  if (model.trainable !== "full") return trainableVariables(model).map(() => true);
  return [...baseTensors(model).keys()].map((name) => !name.endsWith(".bias") && !/norm/i.test(name));
}

/** RMSNorm in float32: w * x / sqrt(mean(x^2) + eps). No mean subtraction; the weight is used as is. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
}

/** x W^T for a frozen W, whose input gradient dY W reads the stored W instead of transposing W^T. */
function frozenMatMul(x: tf.Tensor2D, wT: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.matMul(input as tf.Tensor2D, wT),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.matMul(dy as tf.Tensor2D, w),
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * Inverted dropout on a LoRA input x [B * L, in] (PEFT drops the input of A only). With per-row seeds, row b's
 * mask is the first L rows of a uniform stream seeded by seeds[b] + salt: the same for a sequence at any
 * padded length L, since the stream fills row-major.
 */
function dropoutInput(x: tf.Tensor2D, rate: number, options: ForwardOptions, salt: number): tf.Tensor2D {
  const seeds = options.dropoutSeeds;
  if (!seeds) return tf.dropout(x, rate, undefined, (options.dropoutSeed ?? 0) + salt) as tf.Tensor2D;
  const [rows, width] = x.shape;
  const length = rows / seeds.length;
  const uniform = tf.concat(
    seeds.map((seed) => tf.randomUniform([length, width], 0, 1, "float32", seed + salt)),
    0,
  );
  // As tf.dropout: floor(u + keep) is 1 with probability keep, then scaled by 1 / keep.
  const keep = 1 - rate;
  return tf.mul(x, tf.div(tf.floor(tf.add(uniform, keep)), keep)) as tf.Tensor2D;
}

/** x W^T + b + s * (dropout(x) A^T) B^T. */
function linear(
  x: tf.Tensor2D,
  lin: Linear,
  lora: LoraLayer | undefined,
  options: ForwardOptions,
  salt: number,
): tf.Tensor2D {
  let y = lin.w ? frozenMatMul(x, lin.wT, lin.w) : matMul2d(x, lin.wT);
  if (lin.bias) y = tf.add(y, lin.bias);
  if (lora) {
    const input: tf.Tensor2D =
      options.training && lora.dropout > 0 ? dropoutInput(x, lora.dropout, options, salt) : x;
    // The scale multiplies the narrow [N, r] product rather than the [N, out] one (r = 32 against out up to
    // thousands), and not at all when it is 1 (alpha = r, the paper's setting).
    const narrow = matMul2d(input, lora.aT as tf.Tensor2D);
    const scaled = lora.scale === 1 ? narrow : (tf.mul(narrow, lora.scale) as tf.Tensor2D);
    y = tf.add(y, matMul2d(scaled, lora.bT as tf.Tensor2D));
  }
  return y;
}

/** cos / sin tables [B, T, 1, D] for the given positions (float64 math, stored float32). */
function ropeTables(config: ModelConfig, input: DecoderInput): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const { batch, length } = input;
  const d = config.headDim;
  const half = d / 2;
  const inv = ropeInverseFrequencies(config, length);
  const cos = new Float32Array(batch * length * d);
  const sin = new Float32Array(batch * length * d);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const p = input.positionIds ? (input.positionIds[b * length + t] as number) : t;
      const base = (b * length + t) * d;
      for (let i = 0; i < half; i++) {
        const angle = p * (inv[i] as number);
        cos[base + i] = cos[base + i + half] = Math.cos(angle);
        sin[base + i] = sin[base + i + half] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor4d(cos, [batch, length, 1, d]), sin: tf.tensor4d(sin, [batch, length, 1, d]) };
}

/**
 * rotate_half as a [D, D] signed permutation R, so rotate_half(x) = x R: column i < D/2 takes -x[i + D/2],
 * column i >= D/2 takes x[i - D/2]. Exact (one nonzero term per column), and one fast 2-D product replaces
 * split + neg + concat and their gradients (~2% of a training step on wasm, bench/profile.ts).
 */
function rotateHalfMatrix(d: number): tf.Tensor2D {
  const half = d / 2;
  const r = new Float32Array(d * d);
  for (let i = 0; i < half; i++) {
    r[(i + half) * d + i] = -1;
    r[i * d + i + half] = 1;
  }
  return tf.tensor2d(r, [d, d]);
}

/** q * cos + rotate_half(q) * sin, rotate_half([a, b]) = [-b, a] over the two halves of the head. */
function applyRope(x: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D {
  const [b, t, h, d] = x.shape;
  const rotated = tf.reshape(matMul2d(tf.reshape(x, [b * t * h, d]), ctx.rotateHalf), [b, t, h, d]);
  return tf.add(tf.mul(x, ctx.cos), tf.mul(rotated, ctx.sin));
}

/**
 * Additive attention masks, one [group * T, T] block per batch row (the same block for every kv head):
 * row g*T + i (query i of the g-th head sharing the kv head) sees key j when j <= i and j is not padding.
 */
function attentionMasks(input: DecoderInput, group: number): tf.Tensor2D[] {
  const { batch, length: t } = input;
  const blocks: tf.Tensor2D[] = [];
  for (let b = 0; b < batch; b++) {
    const block = new Float32Array(group * t * t);
    for (let g = 0; g < group; g++) {
      for (let i = 0; i < t; i++) {
        const row = (g * t + i) * t;
        for (let j = 0; j < t; j++) {
          const valid = j <= i && (input.attentionMask ? input.attentionMask[b * t + j] === 1 : true);
          block[row + j] = valid ? 0 : MASKED;
        }
      }
    }
    blocks.push(tf.tensor2d(block, [group * t, t]));
  }
  return blocks;
}

interface LayerContext {
  input: DecoderInput;
  cos: tf.Tensor4D;
  sin: tf.Tensor4D;
  rotateHalf: tf.Tensor2D;
  masks: tf.Tensor2D[];
  options: ForwardOptions;
}

/**
 * Causal self-attention with GQA. The query heads that share a kv head are stacked along the rows, so each
 * (batch row, kv head) is two plain 2-D products: [group*T, D] x [D, T] and [group*T, T] x [T, D]. This is
 * exactly repeat_interleave of k/v, without materialising the repeats (and without rank-5 tile, which has
 * no gradient in tfjs).
 */
function attention(
  x: tf.Tensor2D,
  layer: DecoderLayer,
  l: number,
  model: DecoderModel,
  ctx: LayerContext,
): tf.Tensor2D {
  const { numHeads: h, numKvHeads: kv, headDim: d } = model.config;
  const { batch: b, length: t } = ctx.input;
  const group = h / kv;
  const lora = (m: ProjectionModule) => model.lora.get(projectionPath(l, m));
  // Qwen3: RMSNorm over each head's D values (rows [B*T*heads, D]) after the projection, before RoPE.
  const headNorm = (y: tf.Tensor2D, heads: number, weight: tf.Tensor1D | undefined): tf.Tensor4D =>
    tf.reshape(weight ? rmsNorm(tf.reshape(y, [b * t * heads, d]), weight, model.config.rmsNormEps) : y, [
      b,
      t,
      heads,
      d,
    ]);
  const q = applyRope(
    headNorm(linear(x, layer.proj.q_proj, lora("q_proj"), ctx.options, l * 8 + 1), h, layer.qkNorm?.q),
    ctx,
  );
  const k = applyRope(
    headNorm(linear(x, layer.proj.k_proj, lora("k_proj"), ctx.options, l * 8 + 2), kv, layer.qkNorm?.k),
    ctx,
  );
  const v = tf.reshape(linear(x, layer.proj.v_proj, lora("v_proj"), ctx.options, l * 8 + 3), [b, t, kv, d]);
  // [B, T, H, D] -> [B, H, T, D] -> [B*KV, group*T, D]: head j = kvHead * group + g.
  const qs = tf.unstack(tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [b * kv, group * t, d])) as tf.Tensor2D[];
  const ksT = tf.unstack(tf.reshape(tf.transpose(k, [0, 2, 3, 1]), [b * kv, d, t])) as tf.Tensor2D[];
  const vs = tf.unstack(tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [b * kv, t, d])) as tf.Tensor2D[];
  const scale = 1 / Math.sqrt(d);
  const outs: tf.Tensor2D[] = [];
  for (let i = 0; i < b * kv; i++) {
    const scores = tf.add(
      tf.mul(matMul2d(qs[i] as tf.Tensor2D, ksT[i] as tf.Tensor2D), scale),
      ctx.masks[Math.floor(i / kv)] as tf.Tensor2D,
    );
    outs.push(matMul2d(tf.softmax(scores) as tf.Tensor2D, vs[i] as tf.Tensor2D));
  }
  // [B*KV, group*T, D] -> [B, KV, group, T, D] -> [B, T, KV, group, D] -> [B*T, H*D]
  const merged = tf.reshape(tf.transpose(tf.reshape(tf.stack(outs), [b, kv, group, t, d]), [0, 3, 1, 2, 4]), [
    b * t,
    h * d,
  ]);
  return linear(merged as tf.Tensor2D, layer.proj.o_proj, lora("o_proj"), ctx.options, l * 8 + 4);
}

function mlp(
  x: tf.Tensor2D,
  layer: DecoderLayer,
  l: number,
  model: DecoderModel,
  options: ForwardOptions,
): tf.Tensor2D {
  const lora = (m: ProjectionModule) => model.lora.get(projectionPath(l, m));
  const gate = linear(x, layer.proj.gate_proj, lora("gate_proj"), options, l * 8 + 5);
  const up = linear(x, layer.proj.up_proj, lora("up_proj"), options, l * 8 + 6);
  const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D; // silu(gate) * up
  return linear(act, layer.proj.down_proj, lora("down_proj"), options, l * 8 + 7);
}

/** Token embeddings [B*T, E]. A trainable table uses oneHot @ E: gather's gradient has no wasm kernel. */
function embed(model: DecoderModel, ids: tf.Tensor1D): tf.Tensor2D {
  const table = model.weights.embed;
  if (model.trainable === "full")
    return matMul2d(tf.cast(tf.oneHot(ids, model.config.vocabSize), "float32") as tf.Tensor2D, table);
  return tf.gather(table, ids) as tf.Tensor2D;
}

/**
 * Logits [R, V] at the requested rows (row t of a sequence predicts token t+1), or at every position
 * ([B*T, V], row-major) with "all". Selecting rows before the LM head skips the prompt's V-wide products.
 */
export function forward(
  model: DecoderModel,
  input: DecoderInput,
  rows: RowSegment[] | "all" = "all",
  options: ForwardOptions = {},
): tf.Tensor2D {
  const { config, weights } = model;
  const { batch, length } = input;
  if (input.inputIds.length !== batch * length) {
    throw new Error(`inputIds has ${input.inputIds.length} ids, expected batch ${batch} x length ${length}`);
  }
  for (let i = 0; i < input.inputIds.length; i++) {
    const id = input.inputIds[i] as number;
    if (!(id >= 0 && id < config.vocabSize))
      throw new Error(`inputIds[${i}] = ${id} is outside the vocabulary [0, ${config.vocabSize})`);
  }
  const group = config.numHeads / config.numKvHeads;
  const { cos, sin } = ropeTables(config, input);
  // cos / sin / masks are not disposed here: the backward pass reads them. Callers run forward inside
  // tf.tidy or tf.variableGrads, which release them.
  const masks = attentionMasks(input, group);
  {
    const rotateHalf = rotateHalfMatrix(config.headDim);
    const ctx: LayerContext = { input, cos, sin, rotateHalf, masks, options };
    let x = embed(model, tf.tensor1d(input.inputIds, "int32"));
    weights.layers.forEach((layer, l) => {
      x = tf.add(x, attention(rmsNorm(x, layer.inputNorm, config.rmsNormEps), layer, l, model, ctx));
      x = tf.add(x, mlp(rmsNorm(x, layer.postAttentionNorm, config.rmsNormEps), layer, l, model, options));
    });
    if (rows !== "all") {
      for (const s of rows) {
        if (s.batch < 0 || s.batch >= batch || s.start < 0 || s.length < 1 || s.start + s.length > length) {
          throw new Error(`row segment ${JSON.stringify(s)} is outside the batch [${batch}, ${length}]`);
        }
      }
      x = tf.concat(rows.map((s) => tf.slice(x, [s.batch * length + s.start, 0], [s.length, -1])));
    }
    const head = weights.lmHeadT === "tied" ? (tf.transpose(weights.embed) as tf.Tensor2D) : weights.lmHeadT;
    return matMul2d(rmsNorm(x, weights.finalNorm, config.rmsNormEps), head);
  }
}
