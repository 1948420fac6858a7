/**
 * The graph a DecoderSession loads: which of the file's outputs it fetches, and the bytes edited for the
 * provider it runs on (`editOnnxGraph`; the file is not changed). See DecoderSession.open for each edit and
 * the README ("The graph as this engine loads it") for what each one saved.
 */
import {
  editOnnxGraph,
  decoderIo as exportedIo,
  type GraphEdits,
  type GraphValueSignature,
  logSumExpEdits,
  OnnxDataType,
  readCacheAppends,
  readOutputSource,
  topKEdits,
} from "@ssb/model";
import type { DecoderIo, ValueInfo } from "./decoder-io.js";
import type { DecoderOptions } from "./decoder-session.js";

/** In-place appends need the new columns as outputs and a cache whose positions are the third axis. */
export function appendsInPlace(io: DecoderIo): boolean {
  return io.stepKv !== null && io.kvLayout === "heads-first";
}

/**
 * The new KV columns of every layer in a graph that returns no `new_key_values.*` but builds `present` as
 * `Concat(past, new)` (Optimum's exports): the values the loaded graph then returns as outputs. null unless
 * every layer's key and value have one.
 */
function cacheAppendOutputs(bytes: Uint8Array, io: DecoderIo, file: string): DecoderIo["stepKv"] {
  if (io.stepKv !== null || io.kvLayout !== "heads-first") return null;
  const found = readCacheAppends(
    bytes,
    io.kv.flatMap((p) => [
      { past: p.pastKey, present: p.presentKey },
      { past: p.pastValue, present: p.presentValue },
    ]),
    file,
  );
  const pairs: { key: string; value: string }[] = [];
  for (let i = 0; i < found.length; i += 2) {
    const [key, value] = [found[i], found[i + 1]];
    if (!key || !value) return null;
    pairs.push({ key, value });
  }
  return pairs.length > 0 ? pairs : null;
}

/** Names of what the CPU graph edit adds for in-graph top-k (kept apart from any export's own names). */
export const TOP_K_INPUT = "ssb_top_k";
export const TOP_VALUES = "ssb_top_values";
export const TOP_IDS = "ssb_top_ids";
const TOP_DIMS = ["batch_size", "logit_positions", "top_k"];
export const LSE_ROWS = "ssb_lse_rows";
export const LSE_OUTPUT = "ssb_log_sum_exp";

/** onnxruntime's names for the element types a decoder's inputs and outputs use. */
const ORT_TYPE_NAMES = new Map<number, string>([
  [OnnxDataType.FLOAT, "float32"],
  [OnnxDataType.FLOAT16, "float16"],
  [OnnxDataType.INT64, "int64"],
  [OnnxDataType.INT32, "int32"],
  [OnnxDataType.BOOL, "bool"],
]);

/** A graph input or output as read from the file, in decoder-io's terms (as onnxruntime would report it). */
export function signatureValue(v: GraphValueSignature): ValueInfo {
  return {
    name: v.name,
    type: ORT_TYPE_NAMES.get(v.dataType) ?? `onnx-type-${v.dataType}`,
    shape: v.dims.map((d) => d ?? "?"),
  };
}

/** What a loaded graph was edited with (see DecoderSession.open). */
export interface LoadedEdits {
  keepInput: string | null;
  topKInGraph: boolean;
  /** The output a pass fetches its logits from: the file's, or the LM head's own result (see open). */
  logitsOutput: string | null;
  logSumExpInGraph: boolean;
  splitAttentionLayers: number;
  prunedNodes: number;
}

export const UNEDITED: LoadedEdits = {
  keepInput: null,
  topKInGraph: false,
  logitsOutput: null,
  logSumExpInGraph: false,
  splitAttentionLayers: 0,
  prunedNodes: 0,
};

/** What the loaded graph returns and how it may be edited, decided once per model file. */
export interface GraphPlan {
  file: string;
  original: Uint8Array;
  /** The file's default-domain opset (the log-sum-exp edit writes its axes by it). */
  opset: number;
  /** The I/O contract the session drives: the file's, with `stepKv` filled in where `appended` found it. */
  io: DecoderIo;
  wantInPlace: boolean;
  inPlace: boolean;
  /** New-column values the loaded graph adds as outputs (a file without `new_key_values.*`), or null. */
  appended: DecoderIo["stepKv"];
  /** float32 logits of a known vocabulary: a TopK can be appended. */
  graphTopK: boolean;
  /** The LM head's Gemm result the file's logits only relabel, or null. */
  lmHead: string | null;
}

export function planLoadedGraph(
  original: Uint8Array,
  opset: number,
  fileIo: DecoderIo,
  file: string,
  settings: DecoderOptions,
): GraphPlan {
  const wantInPlace = settings.appendKvInPlace ?? true;
  // A graph without new-column outputs whose present is Concat(past, new) gets those columns as outputs.
  // Only where it takes position_ids: appending in place feeds masked spare columns, and a graph that
  // counted positions from the past's length would place the new tokens after them.
  const appended =
    wantInPlace && fileIo.positionIds !== null ? cacheAppendOutputs(original, fileIo, file) : null;
  const io: DecoderIo = appended ? { ...fileIo, stepKv: appended } : fileIo;
  const graphTopK = io.logitsType === "float32" && io.vocabSize !== null;
  // Where the logits are computed: our exports end in Gemm -> Reshape -> Identity "logits", and
  // onnxruntime's CPU provider copies the Gemm's result into the output (53M model, 128-row decode step:
  // ~9 ms of 95 when the logits are fetched, ~1 ms of 82 when only the top lists are).
  const computed = graphTopK ? readOutputSource(original, io.logits, file) : null;
  const lmHead =
    computed &&
    computed.through.length > 0 &&
    computed.opType === "Gemm" &&
    computed.dims?.[1] === io.vocabSize
      ? computed.value
      : null;
  const inPlace = wantInPlace && appendsInPlace(io);
  return { file, original, opset, io, wantInPlace, inPlace, appended, graphTopK, lmHead };
}

export interface LoadedGraph {
  bytes: Uint8Array;
  edits: LoadedEdits;
}

/** The plan's graph edited for one provider; `cpu`: with the CPU-only edits (see DecoderSession.open). */
export function editedGraph(plan: GraphPlan, cpu: boolean): LoadedGraph {
  const { io, inPlace, appended, graphTopK } = plan;
  const present = io.kv.flatMap((p) => [p.presentKey, p.presentValue]);
  const direct = cpu ? plan.lmHead : null; // lmHead is only looked for where graphTopK holds
  const dropped = new Set([...(inPlace ? present : []), ...(direct ? [io.logits] : [])]);
  const topK =
    cpu && graphTopK
      ? topKEdits({
          of: direct ?? io.logits,
          k: TOP_K_INPUT,
          values: TOP_VALUES,
          ids: TOP_IDS,
          dims: direct ? ["logit_rows", "top_k"] : TOP_DIMS,
        })
      : null;
  // Gather picks rows of a 2-D [positions, vocab] result, so only where the LM head's own is fetched.
  const lse = direct
    ? logSumExpEdits({ of: direct, rows: LSE_ROWS, output: LSE_OUTPUT, opset: plan.opset })
    : null;
  const edits: GraphEdits = {
    // Our exports' logits_to_keep constant becomes an input, unless the file takes one as an input already.
    ...(io.logitsToKeep ? {} : { initializersToInputs: new Set([exportedIo.logitsToKeep]) }),
    ...(dropped.size > 0 ? { dropOutputs: dropped } : {}),
    ...(inPlace ? { splitCachedAttention: cpu } : {}),
    addNodes: [...(topK?.addNodes ?? []), ...(lse?.addNodes ?? [])],
    addInputs: [...(topK?.addInputs ?? []), ...(lse?.addInputs ?? [])],
    addOutputs: [
      ...(appended ?? []).flatMap((p) =>
        [p.key, p.value].map((name) => ({
          name,
          dataType: io.kvType === "float16" ? OnnxDataType.FLOAT16 : OnnxDataType.FLOAT,
          dims: ["batch_size", io.numKvHeads, "sequence_length", io.headDim],
        })),
      ),
      ...(direct
        ? [{ name: direct, dataType: OnnxDataType.FLOAT, dims: ["logit_rows", io.vocabSize as number] }]
        : []),
      ...(topK?.addOutputs ?? []),
      ...(lse?.addOutputs ?? []),
    ],
  };
  const result = editOnnxGraph(plan.original, edits, plan.file);
  return {
    bytes: result.bytes,
    edits: {
      keepInput: result.newInputs.includes(exportedIo.logitsToKeep) ? exportedIo.logitsToKeep : null,
      topKInGraph: cpu && graphTopK,
      logitsOutput: direct,
      logSumExpInGraph: lse !== null,
      splitAttentionLayers: result.splitAttentionLayers,
      prunedNodes: result.removedNodes,
    },
  };
}
