/**
 * A Qwen2 / Qwen3 / Llama decoder-with-past as an ONNX graph, read top to bottom like the model:
 * embed -> N x (RMSNorm, attention with RoPE + GQA + KV cache, residual, RMSNorm, SwiGLU, residual)
 * (Qwen3: an RMSNorm over head_dim on each query and key head between the projections and RoPE)
 * -> RMSNorm -> LM head. The I/O contract is the one Optimum and ONNX Runtime GenAI use:
 *
 *   inputs : input_ids int64 [batch, seq], attention_mask int64 [batch, past + seq],
 *            position_ids int64 [batch, seq], past_key_values.{i}.key|value f32 [batch, kv, past, head_dim]
 *   outputs: logits f32 [batch, seq, vocab], present.{i}.key|value f32 [batch, kv, past + seq, head_dim]
 *
 * plus new_key_values.{i}.key|value f32 [batch, kv, seq, head_dim]: only this step's keys (after RoPE)
 * and values, the columns that present appends. A runtime that keeps its own cache fetches these instead
 * of present (onnxruntime-node copies every fetched output into JavaScript memory, and present grows with
 * the sequence); consumers of the standard contract ignore them.
 *
 * The LM head reads the last `logits_to_keep` positions: a constant 0 (all) here, which a runtime that
 * edits the graph it loads (editOnnxGraph) may turn into an input.
 *
 * Hidden states stay 2-D ([batch * seq, hidden]) between attention blocks so every projection is a
 * Gemm with transB=1 over the checkpoint's own [out, in] matrix: weights are written exactly as
 * stored (no transposed copies), and a tied LM head shares the embedding initializer.
 *
 * Two variants: "plain" uses only standard ONNX ops (opset 17) and runs on any execution provider;
 * "contrib" swaps in ONNX Runtime's fused kernels (com.microsoft domain; CPU and CUDA):
 * SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization (residual add + RMSNorm),
 * RotaryEmbedding (cos/sin tables precomputed in float64 for max_position_embeddings rows) and
 * GroupQueryAttention (needs head_dim % 8 == 0 and no dynamic rope scaling; otherwise the plain attention is kept).
 */
import type { ModelConfig } from "./config.js";
import { floatAttr, GraphBuilder } from "./onnx-graph.js";
import { OnnxDataType } from "./onnx-proto.js";
import { ropeInverseFrequencies } from "./rope.js";
import {
  EMBED_TOKENS_WEIGHT,
  expectedWeightShapes,
  FINAL_NORM_WEIGHT,
  LM_HEAD_WEIGHT,
  layerWeightNames,
  type ProjectionModule,
} from "./weight-names.js";

/** Where the exporter gets weights: float32 tensors by HF name, read when the file is written. */
export interface WeightGetter {
  has(name: string): boolean;
  shape(name: string): number[];
  float32(name: string): Promise<Float32Array>;
}

export type DecoderVariant = "plain" | "contrib";

export interface DecoderGraphOptions {
  variant?: DecoderVariant;
  /**
   * contrib only: use GroupQueryAttention (default true where supported: head_dim % 8 == 0, rope not dynamic).
   * false keeps the plain MatMul attention with the other fused kernels.
   */
  groupQueryAttention?: boolean;
}

/** Graph input / output names of the decoder-with-past contract. */
export const decoderIo = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  positionIds: "position_ids",
  logits: "logits",
  /** A constant initializer (not an input) in our exports; see buildDecoderGraph. */
  logitsToKeep: "logits_to_keep",
  newKey: (layer: number) => `new_key_values.${layer}.key`,
  newValue: (layer: number) => `new_key_values.${layer}.value`,
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
} as const;

/** Standard-op opset of the plain graph (ReduceMean with an `axes` attribute, Split with sizes input). */
export const DECODER_OPSET = 17;
export const MS_DOMAIN = "com.microsoft";

const F32 = OnnxDataType.FLOAT;
const I64 = OnnxDataType.INT64;
/** Additive mask value: float32's lowest finite number, as transformers uses. A finite value keeps
 * fully masked rows (left pads) finite instead of NaN, so nothing leaks into valid rows. */
const MASK_MIN = -3.4028234663852886e38;

function checkWeights(config: ModelConfig, weights: WeightGetter): void {
  for (const [name, shape] of expectedWeightShapes(config)) {
    if (!weights.has(name)) throw new Error(`missing weight "${name}" [${shape.join(", ")}]`);
    const found = weights.shape(name);
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
      throw new Error(`weight "${name}": expected shape [${shape.join(", ")}], found [${found.join(", ")}]`);
    }
  }
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The inverse frequencies as a graph value: a constant [D/2], or for `dynamic` (NTK) scaling [B, 1, D/2] from
 * each row's length L = max(position_ids) + 1. transformers (5.17, `dynamic_rope_update`) recomputes the base
 * as theta * s^(D / (D - 2)) with s = factor * L / max_position_embeddings - (factor - 1) once L passes
 * max_position_embeddings, and keeps the plain frequencies up to it: s = max(1, ...) here, so
 * inv_freq_i = theta^(-2i/D) * s^(-2i/(D-2)). Each pass rotates its new keys with its own L and cached keys
 * keep theirs, as transformers' cache does during generate. transformers takes L over the whole batch; here
 * each row has its own, so a row's logits do not depend on what it is batched with (alone they agree).
 */
function ropeInverseFrequencyValue(
  g: GraphBuilder,
  config: ModelConfig,
  positions: string,
  invFreq: Float64Array,
): string {
  const D = config.headDim;
  const constant = g.float32(Array.from(invFreq), [D / 2], "inv_freq");
  const scaling = config.ropeScaling;
  if (scaling?.type !== "dynamic") return constant;
  const { factor } = scaling;
  const last = g.op("ReduceMax", [positions], { axes: [1], keepdims: 1 }, "rope_last_pos"); // [B, 1]
  const length = g.op("Add", [last, g.float32([1], [])], undefined, "rope_len");
  const stretched = g.op(
    "Sub",
    [
      g.op("Mul", [length, g.float32([factor / config.maxPositionEmbeddings], [])]),
      g.float32([factor - 1], []),
    ],
    undefined,
    "rope_ntk_ratio",
  );
  const s = g.op("Max", [stretched, g.float32([1], [])], undefined, "rope_ntk_s");
  const exponents = Array.from({ length: D / 2 }, (_, i) => (-2 * i) / (D - 2));
  const shrink = g.op(
    "Pow",
    [g.op("Unsqueeze", [s, g.int64([2])]), g.float32(exponents, [D / 2])],
    undefined,
    "rope_ntk_shrink",
  ); // [B, 1, D/2]
  return g.op("Mul", [constant, shrink], undefined, "rope_inv_freq");
}

/** Build the decoder graph. Weights are referenced lazily; nothing is read here. */
export function buildDecoderGraph(
  config: ModelConfig,
  weights: WeightGetter,
  options: DecoderGraphOptions = {},
): GraphBuilder {
  checkWeights(config, weights);
  const variant = options.variant ?? "plain";
  const contrib = variant === "contrib";
  const g = new GraphBuilder(DECODER_OPSET);
  if (contrib) g.useOpset(MS_DOMAIN, 1);
  // ORT's CPU GroupQueryAttention needs head_dim % 8 == 0; other sizes keep the plain attention. Dynamic
  // NTK rope keeps it too: its frequencies depend on the sequence length, which fixed cos/sin tables cannot.
  const dynamicRope = config.ropeScaling?.type === "dynamic";
  const fusedAttention =
    contrib && config.headDim % 8 === 0 && options.groupQueryAttention !== false && !dynamicRope;
  const { hiddenSize: E, numHeads: H, numKvHeads: KV, headDim: D, vocabSize: V } = config;
  const group = H / KV;

  // Each checkpoint tensor becomes one initializer, referenced by its HF name (a tied head reuses it).
  const declared = new Set<string>();
  const weight = (name: string): string => {
    if (declared.has(name)) return name;
    declared.add(name);
    return g.lazyInitializer(name, F32, weights.shape(name), async () =>
      bytesOf(await weights.float32(name)),
    );
  };

  // ---- graph inputs ----
  const inputIds = g.input(decoderIo.inputIds, I64, ["batch_size", "sequence_length"]);
  const attentionMask = g.input(decoderIo.attentionMask, I64, ["batch_size", "total_sequence_length"]);
  const positionIds = g.input(decoderIo.positionIds, I64, ["batch_size", "sequence_length"]);
  const pastShape = ["batch_size", KV, "past_sequence_length", D];
  for (let layer = 0; layer < config.numLayers; layer++) {
    g.input(decoderIo.pastKey(layer), F32, pastShape);
    g.input(decoderIo.pastValue(layer), F32, pastShape);
  }

  // ---- shapes shared by every layer ----
  const idsShape = g.op("Shape", [inputIds], undefined, "ids_shape"); // [B, S]
  const shapes = new Map<string, string>();
  const shapeWith = (tail: number[], hint: string): string => {
    const key = tail.join(",");
    let found = shapes.get(key);
    if (found === undefined) {
      found = g.op("Concat", [idsShape, g.int64(tail)], { axis: 0 }, hint);
      shapes.set(key, found);
    }
    return found;
  };
  // Built on first use: the contrib graph never reshapes to query heads.
  const shapeBSHD = (): string => shapeWith([H, D], "shape_bshd");
  const shapeBSKD = (): string => shapeWith([KV, D], "shape_bskd");
  const flat = (cols: number) => g.int64([-1, cols]);

  // ---- attention bias [B, 1, S, T]: causal (key <= query's absolute position) and not padding ----
  const maskShape = g.op("Shape", [attentionMask], undefined, "mask_shape");
  const scalarIndex1 = g.int64([1], [], "index_1");
  const total = g.op("Gather", [maskShape, scalarIndex1], { axis: 0 }, "total_len");
  const seqLen = g.op("Gather", [idsShape, scalarIndex1], { axis: 0 }, "seq_len");
  const pastLen = g.op("Sub", [total, seqLen], undefined, "past_len");
  const zero = g.int64([0], [], "zero");
  const one = g.int64([1], [], "one");
  const keyIndex = g.op("Range", [zero, total, one], undefined, "key_index"); // [T]
  const queryIndex = g.op("Range", [pastLen, total, one], undefined, "query_index"); // [S]
  const queryColumn = g.op("Unsqueeze", [queryIndex, g.int64([1])], undefined, "query_col"); // [S, 1]
  const causal = g.op("LessOrEqual", [keyIndex, queryColumn], undefined, "causal"); // [S, T]
  const keep = g.op("Cast", [attentionMask], { to: OnnxDataType.BOOL }, "key_keep"); // [B, T]
  const keep4 = g.op("Unsqueeze", [keep, g.int64([1, 2])], undefined, "key_keep4"); // [B, 1, 1, T]
  const allowed = g.op("And", [causal, keep4], undefined, "allowed"); // [B, 1, S, T]
  const attentionBias = g.op(
    "Where",
    [allowed, g.float32([0], []), g.float32([MASK_MIN], [])],
    undefined,
    "attention_bias",
  );

  // ---- embedding ----
  const embedded = g.op("Gather", [weight(EMBED_TOKENS_WEIGHT), inputIds], { axis: 0 }, "embed"); // [B, S, E]
  let x = g.op("Reshape", [embedded, flat(E)], undefined, "hidden"); // [N, E]

  // ---- RoPE tables from position_ids (plain variant): cos, and sin with rotate_half's sign folded in ----
  let ropeCos = "";
  let ropeSinSigned = "";
  let cosCache = "";
  let sinCache = "";
  const invFreq = ropeInverseFrequencies(config);
  if (!fusedAttention) {
    const pos = g.op("Cast", [positionIds], { to: F32 }, "pos_f32");
    const pos3 = g.op("Unsqueeze", [pos, g.int64([2])], undefined, "pos3"); // [B, S, 1]
    // float32 angles, as transformers computes them (inv_freq.float() @ position_ids.float()).
    const angles = g.op("Mul", [pos3, ropeInverseFrequencyValue(g, config, pos, invFreq)], undefined, "ang");
    const emb = g.op("Concat", [angles, angles], { axis: -1 }, "rope_emb"); // [B, S, D]
    const sign = [...new Array<number>(D / 2).fill(-1), ...new Array<number>(D / 2).fill(1)];
    const cos = g.op("Cos", [emb], undefined, "rope_cos");
    const sinSigned = g.op("Mul", [g.op("Sin", [emb], undefined, "rope_sin"), g.float32(sign, [D])]);
    ropeCos = g.op("Unsqueeze", [cos, g.int64([2])], undefined, "rope_cos4"); // [B, S, 1, D]
    ropeSinSigned = g.op("Unsqueeze", [sinSigned, g.int64([2])], undefined, "rope_sin4");
  } else {
    // RotaryEmbedding reads cos/sin rows by position: tables computed here in float64.
    const rows = config.maxPositionEmbeddings;
    const cos = new Float32Array(rows * (D / 2));
    const sin = new Float32Array(rows * (D / 2));
    for (let p = 0; p < rows; p++) {
      for (let i = 0; i < D / 2; i++) {
        const a = p * (invFreq[i] as number);
        cos[p * (D / 2) + i] = Math.cos(a);
        sin[p * (D / 2) + i] = Math.sin(a);
      }
    }
    cosCache = g.initializer("rope_cos_cache", F32, [rows, D / 2], cos);
    sinCache = g.initializer("rope_sin_cache", F32, [rows, D / 2], sin);
  }
  const rope = (t: string, hint: string): string => {
    const halfSplit = g.int64([D / 2, D / 2]);
    // t: [B, S, heads, D]; rotate_half pairs dim i with i + D/2: [a, b] -> [-b, a] (sign is in sin).
    const [a, b] = g.node("Split", [t, halfSplit], { attrs: { axis: -1 }, outputs: 2, name: `${hint}_half` });
    const swapped = g.op("Concat", [b!, a!], { axis: -1 }, `${hint}_swap`);
    return g.op(
      "Add",
      [g.op("Mul", [t, ropeCos]), g.op("Mul", [swapped, ropeSinSigned])],
      undefined,
      `${hint}_rope`,
    );
  };

  const rmsNorm = (input: string, weightName: string, hint: string): string => {
    if (contrib) {
      return g.op(
        "SimplifiedLayerNormalization",
        [input, weight(weightName)],
        { axis: -1, epsilon: floatAttr(config.rmsNormEps), stash_type: 1 },
        hint,
      );
    }
    // Pow(x, 2) rather than Mul(x, x): the same float32 values, and the form onnxruntime's optimizer fuses
    // (with ReduceMean, Add, Sqrt, Div and Mul) into one SimplifiedLayerNormalization kernel on CPU
    // (profiled: ~1.5 of ~90 ms per 128-row decode step on the 53M bench model).
    const square = g.op("Pow", [input, g.float32([2], [], "two")]);
    const meanSquare = g.op("ReduceMean", [square], { axes: [-1], keepdims: 1 });
    const rms = g.op("Sqrt", [g.op("Add", [meanSquare, g.float32([config.rmsNormEps], [])])]);
    return g.op("Mul", [g.op("Div", [input, rms]), weight(weightName)], undefined, hint);
  };

  const projection = (
    input: string,
    names: { weight: Record<ProjectionModule, string>; bias: Partial<Record<ProjectionModule, string>> },
    module: ProjectionModule,
    hint: string,
  ): string => {
    const inputs = [input, weight(names.weight[module])];
    const bias = names.bias[module];
    if (bias !== undefined) inputs.push(weight(bias));
    return g.op("Gemm", inputs, { transB: 1 }, hint);
  };

  /**
   * Qwen3's q_norm / k_norm: RMSNorm over each head's D values of a [N, heads*D] projection, as
   * [N*heads, D] rows. Applied before RoPE in both variants (contrib's RotaryEmbedding and
   * GroupQueryAttention only ever see the normed projections, so the fused kernels stay usable).
   */
  const headNorm = (t: string, heads: number, weightName: string, hint: string): string => {
    const rows = g.op("Reshape", [t, flat(D)], undefined, `${hint}_rows`);
    return g.op("Reshape", [rmsNorm(rows, weightName, hint), flat(heads * D)], undefined, `${hint}_flat`);
  };

  const toHeadsFirst = [0, 2, 1, 3];
  /** [N, KV*D] (or [B, S, KV*D]) -> [B, KV, S, D]. */
  const kvHeadsFirst = (t: string, hint: string): string =>
    g.op("Transpose", [g.op("Reshape", [t, shapeBSKD()])], { perm: toHeadsFirst }, hint);
  /** Per layer: this step's keys (after RoPE) and values, [B, KV, S, D]. */
  const stepKv: [string, string][] = [];

  /**
   * Plain attention: RoPE, KV concat, grouped scores, mask, softmax, context. Returns [N, H*D].
   *
   * Attention reads the concatenated cache (= present). Scoring past and new columns separately would let
   * a runtime that never reads present drop that per-step copy of the whole cache (measured: up to a
   * quarter of a decode step at 250 cached positions, 15–20% on long contexts), but then a first pass with
   * an empty past holds zero-sized tensors, and onnxruntime's WebGPU provider crashed on them
   * (segmentation fault, H200, onnxruntime-node 1.30) — transformers.js feeds exactly that.
   */
  const plainAttention = (q: string, k: string, v: string, layer: number, p: string): string => {
    const scale = g.float32([1 / Math.sqrt(D)], [], "attn_scale");
    const groupedShape = g.int64([0, KV, -1, 0]); // [B, H, S, X] <-> [B, KV, G*S, X]
    const headsShape = g.int64([0, H, -1, 0]);
    const qHeads = g.op("Transpose", [rope(g.op("Reshape", [q, shapeBSHD()]), `${p}_q`)], {
      perm: toHeadsFirst,
    });
    const kHeads = g.op("Transpose", [rope(g.op("Reshape", [k, shapeBSKD()]), `${p}_k`)], {
      perm: toHeadsFirst,
    });
    const vHeads = kvHeadsFirst(v, `${p}_vh`);
    stepKv.push([kHeads, vHeads]);
    const keys = g.node("Concat", [decoderIo.pastKey(layer), kHeads], {
      attrs: { axis: 2 },
      outputs: [decoderIo.presentKey(layer)],
    })[0]!; // [B, KV, T, D]
    const values = g.node("Concat", [decoderIo.pastValue(layer), vHeads], {
      attrs: { axis: 2 },
      outputs: [decoderIo.presentValue(layer)],
    })[0]!;
    // GQA without copying K/V: query head j = kv * group + g, so [B, H, S, D] viewed as
    // [B, KV, G*S, D] lines every query of kv head `kv` up against that head's keys (batched MatMul).
    const qScaled = g.op("Mul", [qHeads, scale], undefined, `${p}_q_scaled`);
    const qGrouped = group === 1 ? qScaled : g.op("Reshape", [qScaled, groupedShape]);
    const keysT = g.op("Transpose", [keys], { perm: [0, 1, 3, 2] }, `${p}_kt`); // [B, KV, D, T]
    let scores = g.op("MatMul", [qGrouped, keysT], undefined, `${p}_scores`); // [B, KV, G*S, T]
    if (group !== 1) scores = g.op("Reshape", [scores, headsShape]); // [B, H, S, T]
    const probs = g.op("Softmax", [g.op("Add", [scores, attentionBias])], { axis: -1 }, `${p}_probs`);
    const probsGrouped = group === 1 ? probs : g.op("Reshape", [probs, groupedShape]);
    let context = g.op("MatMul", [probsGrouped, values], undefined, `${p}_ctx`); // [B, KV, G*S, D]
    if (group !== 1) context = g.op("Reshape", [context, headsShape]); // [B, H, S, D]
    return g.op(
      "Reshape",
      [g.op("Transpose", [context], { perm: toHeadsFirst }), flat(H * D)],
      undefined,
      `${p}_attn`,
    );
  };

  /**
   * Contrib attention: RotaryEmbedding on [B, S, heads*D], then GroupQueryAttention, which appends
   * to the cache and shares KV heads itself. Every row is treated as T tokens long (seqlens_k =
   * T - 1) and our causal + padding mask goes in as attention_bias, so left padding is masked
   * exactly as in the plain graph.
   */
  const contribAttention = (q: string, k: string, v: string, layer: number, p: string): string => {
    const rot = (t: string, heads: number, hint: string) =>
      g.node(
        "RotaryEmbedding",
        [
          g.op("Reshape", [t, shapeWith([heads * D], `shape_bs${heads * D}`)]),
          positionIds,
          cosCache,
          sinCache,
        ],
        {
          domain: MS_DOMAIN,
          attrs: { interleaved: 0, num_heads: heads },
          name: hint,
        },
      )[0]!;
    const v3 = g.op("Reshape", [v, shapeWith([KV * D], `shape_bs${KV * D}`)]);
    const kRotated = rot(k, KV, `${p}_k_rope`);
    stepKv.push([kvHeadsFirst(kRotated, `${p}_new_k`), kvHeadsFirst(v3, `${p}_new_v`)]);
    const [out] = g.node(
      "GroupQueryAttention",
      [
        rot(q, H, `${p}_q_rope`),
        kRotated,
        v3,
        decoderIo.pastKey(layer),
        decoderIo.pastValue(layer),
        gqaSeqlensK(),
        gqaTotalLength(),
        "",
        "",
        "",
        attentionBias,
      ],
      {
        domain: MS_DOMAIN,
        attrs: { num_heads: H, kv_num_heads: KV, do_rotary: 0 },
        outputs: [g.fresh(`${p}_gqa`), decoderIo.presentKey(layer), decoderIo.presentValue(layer)],
        name: `${p}_gqa`,
      },
    );
    return g.op("Reshape", [out!, flat(H * D)], undefined, `${p}_attn`);
  };
  let seqlensK = "";
  let totalLength32 = "";
  const gqaSeqlensK = (): string => {
    if (!seqlensK) {
      const batch = g.op("Slice", [idsShape, g.int64([0]), g.int64([1])], undefined, "batch_dim");
      const last = g.op("Cast", [g.op("Sub", [total, one])], { to: OnnxDataType.INT32 });
      seqlensK = g.op("Expand", [last, batch], undefined, "seqlens_k"); // [B] int32
    }
    return seqlensK;
  };
  const gqaTotalLength = (): string => {
    if (!totalLength32) totalLength32 = g.op("Cast", [total], { to: OnnxDataType.INT32 }, "total_len_i32");
    return totalLength32;
  };

  /**
   * Residual add followed by RMSNorm. The contrib graph fuses both into SkipSimplifiedLayerNormalization
   * (its 4th output is the sum, i.e. the new residual stream).
   */
  let pending: string | undefined; // a branch output not yet added to x
  const addAndNorm = (weightName: string, hint: string): string => {
    if (pending === undefined) return rmsNorm(x, weightName, hint);
    if (contrib) {
      const sum = g.fresh(`${hint}_resid`);
      const [normed] = g.node("SkipSimplifiedLayerNormalization", [x, pending, weight(weightName)], {
        domain: MS_DOMAIN,
        attrs: { epsilon: floatAttr(config.rmsNormEps) },
        outputs: [g.fresh(hint), "", "", sum],
        name: hint,
      });
      x = sum;
      pending = undefined;
      return normed!;
    }
    x = g.op("Add", [x, pending], undefined, `${hint}_resid`);
    pending = undefined;
    return rmsNorm(x, weightName, hint);
  };

  for (let layer = 0; layer < config.numLayers; layer++) {
    const names = layerWeightNames(config, layer);
    const p = `l${layer}`;
    const h = addAndNorm(names.inputNorm, `${p}_in_norm`);
    let q = projection(h, names, "q_proj", `${p}_q`); // [N, H*D]
    let k = projection(h, names, "k_proj", `${p}_k`); // [N, KV*D]
    if (names.qkNorm !== null) {
      q = headNorm(q, H, names.qkNorm.q, `${p}_q_norm`);
      k = headNorm(k, KV, names.qkNorm.k, `${p}_k_norm`);
    }
    const v = projection(h, names, "v_proj", `${p}_v`);
    const attention = (fusedAttention ? contribAttention : plainAttention)(q, k, v, layer, p);
    pending = projection(attention, names, "o_proj", `${p}_o`);

    const h2 = addAndNorm(names.postAttentionNorm, `${p}_post_norm`);
    const gate = projection(h2, names, "gate_proj", `${p}_gate`);
    const up = projection(h2, names, "up_proj", `${p}_up`);
    const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])], undefined, `${p}_silu`);
    pending = projection(g.op("Mul", [silu, up]), names, "down_proj", `${p}_down`);
  }

  const final = addAndNorm(FINAL_NORM_WEIGHT, "final_norm");
  const lmHead = weights.has(LM_HEAD_WEIGHT) ? LM_HEAD_WEIGHT : EMBED_TOKENS_WEIGHT;
  if (lmHead === EMBED_TOKENS_WEIGHT && !config.tieWordEmbeddings) {
    throw new Error(`no ${LM_HEAD_WEIGHT} and tie_word_embeddings is false`);
  }
  // transformers' `logits_to_keep`: logits for the last k positions, 0 = all. Here a constant 0, so the
  // graph keeps the standard contract; a runtime that only continues a prompt may turn it into an input
  // (@ssb/rollout does) and skip the LM head at every other prompt position.
  const logitsToKeep = g.initializer(decoderIo.logitsToKeep, I64, [1], BigInt64Array.of(0n));
  const hidden3 = g.op("Reshape", [final, shapeWith([E], "shape_bse")], undefined, "final_bse"); // [B, S, E]
  const keptHidden = g.op(
    "Slice",
    [hidden3, g.op("Neg", [logitsToKeep]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])],
    undefined,
    "kept_positions",
  ); // [B, k or S, E]
  const keptFlat = g.op("Reshape", [keptHidden, flat(E)], undefined, "kept_flat");
  const logits2d = g.op("Gemm", [keptFlat, weight(lmHead)], { transB: 1 }, "lm_head"); // [B * k, V]
  const batchDim = g.op("Slice", [idsShape, g.int64([0]), g.int64([1])], undefined, "batch_dim"); // [B]
  const logitsShape = g.op("Concat", [batchDim, g.int64([-1, V])], { axis: 0 }, "shape_bkv");
  const logits = g.op("Reshape", [logits2d, logitsShape], undefined, "logits_bsv");
  g.output(logits, decoderIo.logits, F32, ["batch_size", "sequence_length", V]);
  const presentShape = ["batch_size", KV, "total_sequence_length", D];
  for (let layer = 0; layer < config.numLayers; layer++) {
    g.output(decoderIo.presentKey(layer), decoderIo.presentKey(layer), F32, presentShape);
    g.output(decoderIo.presentValue(layer), decoderIo.presentValue(layer), F32, presentShape);
  }
  const stepShape = ["batch_size", KV, "sequence_length", D];
  stepKv.forEach(([key, value], layer) => {
    g.output(key, decoderIo.newKey(layer), F32, stepShape);
    g.output(value, decoderIo.newValue(layer), F32, stepShape);
  });
  return g;
}
