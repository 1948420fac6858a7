/**
 * Edits of a serialized ONNX model that a runtime makes to the graph it loads, leaving the file as is:
 *
 * - **Drop graph outputs**, with the nodes that then compute nothing anyone reads. onnxruntime runs every
 *   node whether or not the caller fetches its outputs, so a runtime that never reads some outputs (a
 *   decoder driver that keeps its own KV cache does not need `present.*`) saves their work only by
 *   removing them from the graph.
 * - **Turn constant initializers into inputs** (e.g. our exports' `logits_to_keep`, 0 = every position),
 *   so the runtime can feed them; onnxruntime-node cannot feed an initializer that is also listed as an
 *   input, so the initializer goes.
 * - **Split cached attention**: where attention reads a cache concatenated from a past input and the
 *   step's new columns (`Concat(past, new, axis=2)`, which our plain export also returns as `present.*`),
 *   score and weight the past and the new columns separately, so that only `present.*` reads the
 *   concatenation; with those outputs dropped as well, onnxruntime stops copying the whole cache every
 *   step. Exports cannot use this form: with an empty past it holds zero-sized tensors, on which
 *   onnxruntime's WebGPU provider crashed; the CPU provider handles them.
 * - **Add nodes, inputs and outputs** (e.g. a TopK over the logits, so that a sampler fetches k
 *   candidates rather than the vocabulary).
 *
 * This works on the protobuf wire format: the fields it keeps are copied byte for byte, so initializers,
 * metadata and fields this package does not model (decodeOnnxModel would drop them) survive unchanged.
 * New nodes are encoded with onnx-proto.ts's NodeProto.
 */
import type { OnnxNodeProto } from "./onnx-proto.js";
import { SPLIT_ATTENTION_MIN_OPSET, splitAttention } from "./onnx-split-attention.js";
import {
  concatBytes,
  defaultOpset,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  type GraphInfo,
  type InitializerInfo,
  lengthDelimited,
  liveNodes,
  MODEL_GRAPH,
  modelGraphField,
  type NodeInfo,
  protoNode,
  readGraph,
  readInitializer,
  readingModel,
  tensorValueInfo,
  valueInfoName,
  WIRE_LEN,
  type WireField,
  writeVarint,
} from "./onnx-wire.js";

/** A graph input or output to add: a tensor of `dataType` (TensorProto.DataType). */
export interface TensorValueSpec {
  name: string;
  dataType: number;
  /** Sizes; a string is a symbolic dimension (`dim_param`), "" an unnamed one. */
  dims: readonly (number | string)[];
}

export interface GraphEdits {
  /** Graph outputs to remove (with the nodes only they needed). */
  dropOutputs?: ReadonlySet<string>;
  /** Initializers to turn into graph inputs of the same dtype and shape. */
  initializersToInputs?: ReadonlySet<string>;
  /**
   * Read cached attention's past and new columns separately (see the module comment and
   * {@link splitAttention}). Needs default-domain opset 15 or later (Shape with start/end); a model with
   * a lower opset, or with subgraphs, is left as is.
   */
  splitCachedAttention?: boolean;
  /**
   * Nodes to append after the others (so they may read any value). Like every node they are removed when
   * no kept or added output needs them. Attributes need `type` set (OnnxAttributeType).
   */
  addNodes?: readonly OnnxNodeProto[];
  /** Graph inputs to add after the others. */
  addInputs?: readonly TensorValueSpec[];
  /** Graph outputs to add after the others; each must be computed by the graph or an added node. */
  addOutputs?: readonly TensorValueSpec[];
}

export interface EditResult {
  /** The edited model (the input itself when nothing changed). */
  bytes: Uint8Array;
  removedOutputs: number;
  /** Nodes of the input that are gone: those nothing needs any more, and those splitCachedAttention replaced. */
  removedNodes: number;
  /** Initializers that became inputs (those of `initializersToInputs` the model has). */
  newInputs: string[];
  /** Attention layers that splitCachedAttention rewrote. */
  splitAttentionLayers: number;
  /**
   * Initializers no kept node reads any more (e.g. the shape constants of removed Reshapes), left out:
   * onnxruntime would drop them too, with a warning for each on every load.
   */
  removedInitializers: number;
}

// ---- addNodes, addInputs, addOutputs ----

interface Additions {
  nodes: NodeInfo[];
  /** GraphProto input and output fields. */
  inputs: Uint8Array[];
  outputs: Uint8Array[];
  outputNames: string[];
}

function valueInfoField(field: number, spec: TensorValueSpec, what: string, where: string): Uint8Array {
  for (const d of spec.dims)
    if (typeof d === "number" && !(Number.isSafeInteger(d) && d >= 0))
      throw new Error(`${where}: added ${what} "${spec.name}": dimension ${d} is not a size`);
  return lengthDelimited(field, tensorValueInfo(spec.name, spec.dataType, spec.dims));
}

/** Check the added names against the graph (and each other), and encode the additions. */
function additions(edits: GraphEdits, graph: GraphInfo, where: string): Additions {
  const defined = graph.defined;
  const define = (name: string, what: string) => {
    if (defined.has(name))
      throw new Error(`${where}: cannot add ${what} "${name}": the graph has that value`);
    defined.add(name);
    graph.used.add(name);
  };
  const inputs = (edits.addInputs ?? []).map((spec) => {
    define(spec.name, "input");
    return valueInfoField(GRAPH_INPUT, spec, "input", where);
  });
  const nodes = (edits.addNodes ?? []).map((proto) => {
    for (const o of proto.output) if (o !== "") define(o, `${proto.opType} node output`);
    graph.used.add(proto.name);
    return protoNode(proto);
  });
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  const outputs = (edits.addOutputs ?? []).map((spec) => {
    if (outputNames.has(spec.name))
      throw new Error(`${where}: cannot add output "${spec.name}": the graph has that output`);
    if (!defined.has(spec.name))
      throw new Error(
        `${where}: cannot add output "${spec.name}": no input, initializer or node computes it`,
      );
    outputNames.add(spec.name);
    return valueInfoField(GRAPH_OUTPUT, spec, "output", where);
  });
  return { nodes, inputs, outputs, outputNames: (edits.addOutputs ?? []).map((s) => s.name) };
}

// ---- the edit ----

/**
 * Apply `edits` to a serialized model. `where` names the model in errors (a file path). Graphs with
 * subgraphs (If, Loop, Scan) keep all their nodes.
 */
export function editOnnxGraph(bytes: Uint8Array, edits: GraphEdits, where = "model"): EditResult {
  return readingModel(where, () => applyEdits(bytes, edits, where));
}

function applyEdits(bytes: Uint8Array, edits: GraphEdits, where: string): EditResult {
  const drop = edits.dropOutputs ?? new Set<string>();
  const promote = edits.initializersToInputs ?? new Set<string>();
  const { modelFields, graphField } = modelGraphField(bytes);
  const graph = readGraph(bytes, graphField);
  const skip = new Set<number>(); // start offsets of graph fields to leave out
  const keptOutputs: string[] = [];
  let removedOutputs = 0;
  for (const o of graph.outputs) {
    if (drop.has(o.name)) {
      removedOutputs++;
      skip.add(o.field.start);
    } else keptOutputs.push(o.name);
  }
  const promoted: InitializerInfo[] = [];
  for (const f of promote.size > 0 ? graph.initializers : []) {
    const info = readInitializer(bytes, f);
    if (promote.has(info.name)) {
      promoted.push(info);
      skip.add(f.start);
    }
  }
  const added = additions(edits, graph, where);
  const split =
    edits.splitCachedAttention && defaultOpset(bytes, modelFields) >= SPLIT_ATTENTION_MIN_OPSET
      ? splitAttention(graph, added.nodes)
      : { nodes: graph.nodes, layers: 0 };
  const nodesChange = removedOutputs > 0 || split.layers > 0 || added.nodes.length > 0;
  if (!nodesChange && promoted.length === 0 && added.inputs.length === 0 && added.outputs.length === 0) {
    return {
      bytes,
      removedOutputs: 0,
      removedNodes: 0,
      newInputs: [],
      splitAttentionLayers: 0,
      removedInitializers: 0,
    };
  }
  // One liveness walk over the final list: replaced attention and dropped outputs free the same nodes.
  const nodes = [...split.nodes, ...added.nodes];
  const live = nodesChange ? liveNodes(nodes, [...keptOutputs, ...added.outputNames]) : new Set(nodes);
  const kept = nodes.filter((n) => live.has(n));
  const produced = new Set(kept.flatMap((n) => n.outputs));
  const deadValues = new Set<string>();
  let removedNodes = 0;
  for (const node of graph.nodes) {
    if (live.has(node)) continue;
    removedNodes++;
    for (const o of node.outputs) if (!produced.has(o)) deadValues.add(o);
  }
  for (const f of graph.valueInfos) if (deadValues.has(valueInfoName(bytes, f))) skip.add(f.start);
  const removedInitializers = removedNodes > 0 ? skipUnread(bytes, graph, kept, added.outputNames, skip) : 0;
  const graphParts = graphBody(
    bytes,
    graph.fields,
    skip,
    kept.map((n) => n.bytes),
  );
  // An initializer that was also listed as an input (an overridable default) keeps that input.
  for (const info of promoted.filter((p) => !graph.inputs.has(p.name)))
    graphParts.push(lengthDelimited(GRAPH_INPUT, tensorValueInfo(info.name, info.dataType, info.dims)));
  graphParts.push(...added.inputs, ...added.outputs);
  const graphLength = graphParts.reduce((n, p) => n + p.length, 0);
  const parts: Uint8Array[] = [];
  for (const f of modelFields) {
    if (f !== graphField) parts.push(bytes.subarray(f.start, f.end));
    else parts.push(writeVarint(MODEL_GRAPH * 8 + WIRE_LEN), writeVarint(graphLength), ...graphParts);
  }
  return {
    bytes: concatBytes(parts),
    removedOutputs,
    removedNodes,
    newInputs: promoted.map((p) => p.name),
    splitAttentionLayers: split.layers,
    removedInitializers,
  };
}

/**
 * Add to `skip` the initializers that no kept node, graph input or output reads; returns how many. A kept
 * node with a subgraph may read any outer value without listing it, so then every initializer stays.
 */
function skipUnread(
  bytes: Uint8Array,
  graph: GraphInfo,
  kept: readonly NodeInfo[],
  addedOutputs: readonly string[],
  skip: Set<number>,
): number {
  if (kept.some((n) => n.hasSubgraph)) return 0;
  const read = new Set<string>([
    ...graph.inputs.keys(),
    ...graph.outputs.map((o) => o.name),
    ...addedOutputs,
  ]);
  for (const n of kept) for (const i of n.inputs) read.add(i);
  let count = 0;
  for (const f of graph.initializers) {
    if (skip.has(f.start) || read.has(readInitializer(bytes, f).name)) continue;
    skip.add(f.start);
    count++;
  }
  return count;
}

/** The graph's fields less `skip`, with its node fields replaced by `nodes` (where the first one was). */
function graphBody(
  buf: Uint8Array,
  fields: readonly WireField[],
  skip: ReadonlySet<number>,
  nodes: readonly Uint8Array[],
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let placed = false;
  for (const f of fields) {
    if (f.field === GRAPH_NODE && f.wire === WIRE_LEN) {
      if (!placed) for (const n of nodes) parts.push(n);
      placed = true;
    } else if (!skip.has(f.start)) parts.push(buf.subarray(f.start, f.end));
  }
  return placed ? parts : [...nodes, ...parts];
}
