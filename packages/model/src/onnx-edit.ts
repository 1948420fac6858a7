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
import {
  encodeOnnxNode,
  type OnnxAttributeProto,
  OnnxAttributeType,
  type OnnxNodeProto,
} from "./onnx-proto.js";

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
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

// Field numbers in onnx.proto.
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_I = 3;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_INTS = 8;
const ATTRIBUTE_GRAPHS = 11;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TYPE_TENSOR_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;

interface WireField {
  field: number;
  wire: number;
  /** Where the field's tag starts and where the field ends (payload included). */
  start: number;
  end: number;
  /** Where a length-delimited field's payload, or any other field's value, starts. */
  payloadStart: number;
}

class WireError extends Error {}

function readVarint(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const byte = buf[i] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i + 1];
    scale *= 128;
  }
  throw new WireError(`truncated or overlong varint at byte ${at}`);
}

/** A signed int64 varint, exactly (attributes may be negative: axis -1 is ten bytes of two's complement). */
function readInt64(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const byte = buf[i] as number;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [Number(BigInt.asIntN(64, value)), i + 1];
    shift += 7n;
  }
  throw new WireError(`truncated or overlong varint at byte ${at}`);
}

function writeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** A length-delimited field: tag, length, payload. */
function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const tag = writeVarint(field * 8 + WIRE_LEN);
  const length = writeVarint(payload.length);
  const out = new Uint8Array(tag.length + length.length + payload.length);
  out.set(tag, 0);
  out.set(length, tag.length);
  out.set(payload, tag.length + length.length);
  return out;
}

function varintField(field: number, value: number): Uint8Array {
  const tag = writeVarint(field * 8 + WIRE_VARINT);
  const v = writeVarint(value);
  const out = new Uint8Array(tag.length + v.length);
  out.set(tag, 0);
  out.set(v, tag.length);
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const encoder = new TextEncoder();

/**
 * ValueInfoProto { name, type: TypeProto { tensor_type { elem_type, shape { dim* } } } }, each dim a
 * dim_value (number) or dim_param (string; "" leaves the dimension unnamed).
 */
function tensorValueInfo(name: string, dataType: number, dims: readonly (number | string)[]): Uint8Array {
  const dim = (d: number | string): Uint8Array =>
    typeof d === "number"
      ? varintField(DIM_VALUE, d)
      : d === ""
        ? new Uint8Array(0)
        : lengthDelimited(DIM_PARAM, encoder.encode(d));
  const shape = concatBytes(dims.map((d) => lengthDelimited(SHAPE_DIM, dim(d))));
  const tensorType = concatBytes([varintField(1, dataType), lengthDelimited(TYPE_TENSOR_SHAPE, shape)]);
  const type = lengthDelimited(TYPE_TENSOR, tensorType);
  return concatBytes([
    lengthDelimited(VALUE_INFO_NAME, encoder.encode(name)),
    lengthDelimited(VALUE_INFO_TYPE, type),
  ]);
}

interface InitializerInfo {
  name: string;
  dataType: number;
  dims: number[];
}

function readInitializer(buf: Uint8Array, f: WireField): InitializerInfo {
  const info: InitializerInfo = { name: "", dataType: 0, dims: [] };
  for (const g of wireFields(buf, f.payloadStart, f.end)) {
    if (g.field === TENSOR_NAME && g.wire === WIRE_LEN) info.name = text(buf, g);
    else if (g.field === TENSOR_DATA_TYPE && g.wire === WIRE_VARINT)
      info.dataType = readVarint(buf, g.payloadStart)[0];
    else if (g.field === TENSOR_DIMS && g.wire === WIRE_VARINT)
      info.dims.push(readVarint(buf, g.payloadStart)[0]);
    else if (g.field === TENSOR_DIMS && g.wire === WIRE_LEN) {
      for (let at = g.payloadStart; at < g.end; ) {
        const [d, next] = readVarint(buf, at);
        info.dims.push(d);
        at = next;
      }
    }
  }
  return info;
}

function* wireFields(buf: Uint8Array, start: number, end: number): Generator<WireField> {
  let at = start;
  while (at < end) {
    const [tag, afterTag] = readVarint(buf, at);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    let next: number;
    let payloadStart = afterTag;
    if (wire === WIRE_VARINT) next = readVarint(buf, afterTag)[1];
    else if (wire === WIRE_I64) next = afterTag + 8;
    else if (wire === WIRE_I32) next = afterTag + 4;
    else if (wire === WIRE_LEN) {
      const [length, afterLength] = readVarint(buf, afterTag);
      payloadStart = afterLength;
      next = afterLength + length;
    } else throw new WireError(`unsupported wire type ${wire} (field ${field}) at byte ${at}`);
    if (next > end) throw new WireError(`field ${field} at byte ${at} runs past its message (byte ${end})`);
    yield { field, wire, start: at, end: next, payloadStart };
    at = next;
  }
}

const decoder = new TextDecoder();
const text = (buf: Uint8Array, f: WireField): string => decoder.decode(buf.subarray(f.payloadStart, f.end));

interface NodeInfo {
  /** The whole GraphProto `node` field (tag and length included), copied as is into the edited graph. */
  bytes: Uint8Array;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** INT and INTS attributes (an INT as one element): what pattern matching looks at. */
  ints: Map<string, number[]>;
  /** Holds a subgraph (If, Loop, Scan, ...), whose reads of outer values are not listed as inputs. */
  hasSubgraph: boolean;
}

function readNode(buf: Uint8Array, f: WireField, names: Set<string>): NodeInfo {
  const node: NodeInfo = {
    bytes: buf.subarray(f.start, f.end),
    opType: "",
    domain: "",
    inputs: [],
    outputs: [],
    ints: new Map(),
    hasSubgraph: false,
  };
  for (const g of wireFields(buf, f.payloadStart, f.end)) {
    if (g.wire !== WIRE_LEN) continue;
    if (g.field === NODE_INPUT) node.inputs.push(text(buf, g));
    else if (g.field === NODE_OUTPUT) node.outputs.push(text(buf, g));
    else if (g.field === NODE_OP_TYPE) node.opType = text(buf, g);
    else if (g.field === NODE_DOMAIN) node.domain = text(buf, g);
    else if (g.field === NODE_NAME) names.add(text(buf, g));
    else if (g.field === NODE_ATTRIBUTE) readAttribute(buf, g, node);
  }
  return node;
}

function readAttribute(buf: Uint8Array, f: WireField, node: NodeInfo): void {
  let name = "";
  const ints: number[] = [];
  for (const a of wireFields(buf, f.payloadStart, f.end)) {
    if (a.field === ATTRIBUTE_GRAPH || a.field === ATTRIBUTE_GRAPHS) node.hasSubgraph = true;
    else if (a.field === ATTRIBUTE_NAME && a.wire === WIRE_LEN) name = text(buf, a);
    else if ((a.field === ATTRIBUTE_I || a.field === ATTRIBUTE_INTS) && a.wire === WIRE_VARINT)
      ints.push(readInt64(buf, a.payloadStart)[0]);
    else if (a.field === ATTRIBUTE_INTS && a.wire === WIRE_LEN) {
      for (let at = a.payloadStart; at < a.end; ) {
        const [v, next] = readInt64(buf, at);
        ints.push(v);
        at = next;
      }
    }
  }
  if (ints.length > 0) node.ints.set(name, ints);
}

/** A node built here or given by the caller, encoded for the graph. */
function protoNode(proto: OnnxNodeProto): NodeInfo {
  return {
    bytes: lengthDelimited(GRAPH_NODE, encodeOnnxNode(proto)),
    opType: proto.opType,
    domain: proto.domain ?? "",
    inputs: [...proto.input],
    outputs: [...proto.output],
    ints: new Map(),
    hasSubgraph: false, // our NodeProto schema has no graph attributes
  };
}

function valueInfoName(buf: Uint8Array, f: WireField): string {
  for (const g of wireFields(buf, f.payloadStart, f.end))
    if (g.field === VALUE_INFO_NAME && g.wire === WIRE_LEN) return text(buf, g);
  return "";
}

/** The number of dims a ValueInfoProto declares for its tensor, or undefined when it declares no shape. */
function valueInfoRank(buf: Uint8Array, f: WireField): number | undefined {
  const child = (parent: WireField, field: number): WireField | undefined => {
    for (const g of wireFields(buf, parent.payloadStart, parent.end))
      if (g.field === field && g.wire === WIRE_LEN) return g;
    return undefined;
  };
  const type = child(f, VALUE_INFO_TYPE);
  const tensor = type && child(type, TYPE_TENSOR);
  const shape = tensor && child(tensor, TYPE_TENSOR_SHAPE);
  if (!shape) return undefined;
  let rank = 0;
  for (const d of wireFields(buf, shape.payloadStart, shape.end)) if (d.field === SHAPE_DIM) rank++;
  return rank;
}

interface GraphInfo {
  fields: WireField[];
  nodes: NodeInfo[];
  /** Graph inputs with the rank they declare (undefined when they declare no shape). */
  inputs: Map<string, number | undefined>;
  outputs: { name: string; field: WireField }[];
  initializers: WireField[];
  valueInfos: WireField[];
  /** Values with a definition: graph inputs, initializers and node outputs. */
  defined: Set<string>;
  /** Every value and node name in the graph, so that new ones can be made unique. */
  used: Set<string>;
}

function readGraph(buf: Uint8Array, graph: WireField): GraphInfo {
  const info: GraphInfo = {
    fields: [...wireFields(buf, graph.payloadStart, graph.end)],
    nodes: [],
    inputs: new Map(),
    outputs: [],
    initializers: [],
    valueInfos: [],
    defined: new Set(),
    used: new Set(),
  };
  for (const f of info.fields) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.field === GRAPH_NODE) {
      const node = readNode(buf, f, info.used);
      info.nodes.push(node);
      for (const v of [...node.inputs, ...node.outputs]) info.used.add(v);
      for (const o of node.outputs) if (o !== "") info.defined.add(o);
    } else if (f.field === GRAPH_INPUT) {
      const name = valueInfoName(buf, f);
      info.inputs.set(name, valueInfoRank(buf, f));
      info.defined.add(name);
    } else if (f.field === GRAPH_OUTPUT) info.outputs.push({ name: valueInfoName(buf, f), field: f });
    else if (f.field === GRAPH_INITIALIZER) {
      info.initializers.push(f);
      info.defined.add(readInitializer(buf, f).name);
    } else if (f.field === GRAPH_VALUE_INFO) {
      info.valueInfos.push(f);
      info.used.add(valueInfoName(buf, f));
    }
  }
  for (const name of info.defined) info.used.add(name);
  for (const o of info.outputs) info.used.add(o.name);
  return info;
}

/** The model's default-domain (ai.onnx) opset version, 0 when it imports none. */
function defaultOpset(buf: Uint8Array, modelFields: readonly WireField[]): number {
  let version = 0;
  for (const f of modelFields) {
    if (f.field !== MODEL_OPSET_IMPORT || f.wire !== WIRE_LEN) continue;
    let domain = "";
    let v = 0;
    for (const g of wireFields(buf, f.payloadStart, f.end)) {
      if (g.field === OPSET_DOMAIN && g.wire === WIRE_LEN) domain = text(buf, g);
      else if (g.field === OPSET_VERSION && g.wire === WIRE_VARINT) v = readVarint(buf, g.payloadStart)[0];
    }
    if (isDefaultDomain(domain)) version = Math.max(version, v);
  }
  return version;
}

/** Nodes needed for `wanted` values: walk back from them (fixed point, so node order does not matter). */
function liveNodes(nodes: readonly NodeInfo[], wanted: Iterable<string>): Set<NodeInfo> {
  if (nodes.some((n) => n.hasSubgraph)) return new Set(nodes);
  const needed = new Set(wanted);
  const live = new Set<NodeInfo>();
  let grew = true;
  while (grew) {
    grew = false;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i] as NodeInfo;
      if (live.has(node)) continue;
      if (node.outputs.length === 0 || node.outputs.some((o) => o !== "" && needed.has(o))) {
        live.add(node);
        for (const input of node.inputs) if (input !== "") needed.add(input);
        grew = true;
      }
    }
  }
  return live;
}

// ---- splitCachedAttention ----

/** Shape with start/end arrived in opset 15. */
const SPLIT_ATTENTION_MIN_OPSET = 15;
/** How many nodes may lie between scores and probabilities (Reshape, Add mask, Softmax, Reshape in ours). */
const MAX_SCORES_TO_PROBS = 8;
const SWAP_LAST_TWO = [0, 1, 3, 2];

const isDefaultDomain = (domain: string): boolean => domain === "" || domain === "ai.onnx";

function isOp(node: NodeInfo, opType: string, inputs: number, outputs: number): boolean {
  return (
    isDefaultDomain(node.domain) &&
    node.opType === opType &&
    node.inputs.length === inputs &&
    node.outputs.length === outputs
  );
}

const sameInts = (a: readonly number[] | undefined, b: readonly number[]): boolean =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/** The distinct nodes reading each value. */
function readersOf(nodes: readonly NodeInfo[]): Map<string, NodeInfo[]> {
  const readers = new Map<string, NodeInfo[]>();
  for (const node of nodes)
    for (const input of new Set(node.inputs)) {
      const list = readers.get(input);
      if (list) list.push(node);
      else readers.set(input, [node]);
    }
  return readers;
}

function onlyReader(readers: ReadonlyMap<string, NodeInfo[]>, value: string): NodeInfo | undefined {
  const list = readers.get(value);
  return list?.length === 1 ? list[0] : undefined;
}

/** `Concat(past, step, axis=2)` of a rank-4 graph input `past` and this step's columns. */
interface CacheConcat {
  past: string;
  step: string;
  cache: string;
}

interface KeySide extends CacheConcat {
  /** `MatMul(query, Transpose(cache))`, the scores. */
  matmul: NodeInfo;
  query: string;
}

interface ValueSide extends CacheConcat {
  /** `MatMul(probs, cache)`, the context. */
  matmul: NodeInfo;
  probs: string;
}

function cacheConcat(
  node: NodeInfo,
  inputs: ReadonlyMap<string, number | undefined>,
): CacheConcat | undefined {
  if (!isOp(node, "Concat", 2, 1)) return undefined;
  const [past, step] = node.inputs as [string, string];
  // The rank makes axis 2 and -2 the same axis, the one MatMul contracts for values.
  if (inputs.get(past) !== 4) return undefined;
  if (!sameInts(node.ints.get("axis"), [2]) && !sameInts(node.ints.get("axis"), [-2])) return undefined;
  return { past, step, cache: node.outputs[0] as string };
}

/**
 * The cache read by exactly one node, `Transpose(perm [0,1,3,2])`, read by exactly one node,
 * `MatMul(query, transposed)`. A graph output (present) may return the cache too, as nothing then
 * needs the concatenation when that output is dropped.
 */
function keySide(
  c: CacheConcat,
  readers: ReadonlyMap<string, NodeInfo[]>,
  outputs: ReadonlySet<string>,
): KeySide | undefined {
  const transpose = onlyReader(readers, c.cache);
  if (!transpose || !isOp(transpose, "Transpose", 1, 1)) return undefined;
  if (!sameInts(transpose.ints.get("perm"), SWAP_LAST_TWO)) return undefined;
  const transposed = transpose.outputs[0] as string;
  if (outputs.has(transposed)) return undefined;
  const matmul = onlyReader(readers, transposed);
  if (!matmul || !isOp(matmul, "MatMul", 2, 1)) return undefined;
  const [query, keys] = matmul.inputs as [string, string];
  if (keys !== transposed || query === transposed) return undefined;
  return { ...c, matmul, query };
}

/** The cache read by exactly one node, `MatMul(probs, cache)` (and perhaps returned as a graph output). */
function valueSide(c: CacheConcat, readers: ReadonlyMap<string, NodeInfo[]>): ValueSide | undefined {
  const matmul = onlyReader(readers, c.cache);
  if (!matmul || !isOp(matmul, "MatMul", 2, 1)) return undefined;
  const [probs, values] = matmul.inputs as [string, string];
  if (values !== c.cache || probs === c.cache) return undefined;
  return { ...c, matmul, probs };
}

/**
 * The value side of the same layer: the one whose probabilities come from these scores through a chain
 * of nodes that each are the only reader of the value before (Reshape, Add mask, Softmax, ...). Names
 * are generated, so structure is all there is to go by.
 */
function pairedValueSide(
  key: KeySide,
  readers: ReadonlyMap<string, NodeInfo[]>,
  values: ReadonlyMap<NodeInfo, ValueSide>,
): ValueSide | undefined {
  let value = key.matmul.outputs[0] as string;
  for (let step = 0; step < MAX_SCORES_TO_PROBS; step++) {
    const next = onlyReader(readers, value);
    if (!next) return undefined;
    const side = values.get(next);
    if (side) return side.probs === value ? side : undefined;
    if (next.outputs.length !== 1) return undefined;
    value = next.outputs[0] as string;
  }
  return undefined;
}

type Fresh = (hint: string) => string;

/** Names not used in the graph yet: `hint`, else `hint_1`, `hint_2`, ... */
function freshNames(used: Set<string>): Fresh {
  return (hint) => {
    let name = hint;
    for (let k = 1; used.has(name); k++) name = `${hint}_${k}`;
    used.add(name);
    return name;
  };
}

const intAttribute = (name: string, i: number): OnnxAttributeProto => ({
  name,
  type: OnnxAttributeType.INT,
  i,
});
const intsAttribute = (name: string, ints: number[]): OnnxAttributeProto => ({
  name,
  type: OnnxAttributeType.INTS,
  ints,
});

function newNode(
  fresh: Fresh,
  opType: string,
  input: string[],
  output: string[],
  attribute: OnnxAttributeProto[] = [],
): NodeInfo {
  return protoNode({ input, output, name: fresh(`${output[0]}_node`), opType, attribute });
}

/**
 * scores = Concat(MatMul(q, Transpose(past)), MatMul(q, Transpose(step)), axis=-1), under the old
 * scores' name. onnxruntime fuses each Transpose into its MatMul, so the past is read in place.
 */
function splitScores(key: KeySide, fresh: Fresh): NodeInfo[] {
  const scores = key.matmul.outputs[0] as string;
  const perm = intsAttribute("perm", SWAP_LAST_TWO);
  const pastT = fresh(`${scores}/past_keys_t`);
  const stepT = fresh(`${scores}/new_keys_t`);
  const pastScores = fresh(`${scores}/past`);
  const stepScores = fresh(`${scores}/new`);
  return [
    newNode(fresh, "Transpose", [key.past], [pastT], [perm]),
    newNode(fresh, "Transpose", [key.step], [stepT], [perm]),
    newNode(fresh, "MatMul", [key.query, pastT], [pastScores]),
    newNode(fresh, "MatMul", [key.query, stepT], [stepScores]),
    newNode(fresh, "Concat", [pastScores, stepScores], [scores], [intAttribute("axis", -1)]),
  ];
}

/** context = probs[..., :past] @ past + probs[..., past:] @ step, under the old context's name. */
function splitContext(value: ValueSide, fresh: Fresh): NodeInfo[] {
  const context = value.matmul.outputs[0] as string;
  const seqAxis = [intAttribute("start", 2), intAttribute("end", 3)];
  const pastLength = fresh(`${context}/past_length`);
  const stepLength = fresh(`${context}/new_length`);
  const sizes = fresh(`${context}/split_sizes`);
  const pastProbs = fresh(`${context}/past_probs`);
  const stepProbs = fresh(`${context}/new_probs`);
  const pastContext = fresh(`${context}/past`);
  const stepContext = fresh(`${context}/new`);
  return [
    newNode(fresh, "Shape", [value.past], [pastLength], seqAxis),
    newNode(fresh, "Shape", [value.step], [stepLength], seqAxis),
    newNode(fresh, "Concat", [pastLength, stepLength], [sizes], [intAttribute("axis", 0)]),
    newNode(fresh, "Split", [value.probs, sizes], [pastProbs, stepProbs], [intAttribute("axis", -1)]),
    newNode(fresh, "MatMul", [pastProbs, value.past], [pastContext]),
    newNode(fresh, "MatMul", [stepProbs, value.step], [stepContext]),
    newNode(fresh, "Add", [pastContext, stepContext], [context]),
  ];
}

/**
 * Replace, in every layer whose key and value sides both match, the scores and context MatMuls with
 * ones that read past and new columns separately. The replacements stand where the MatMuls stood (the
 * list stays topologically sorted) and keep their output names, so the nodes downstream are untouched.
 * The concatenations stay for `present.*`; the liveness walk removes them if nothing needs them.
 * `added` nodes only count as readers.
 */
function splitAttention(graph: GraphInfo, added: readonly NodeInfo[]): { nodes: NodeInfo[]; layers: number } {
  const nodes = graph.nodes;
  if (nodes.some((n) => n.hasSubgraph)) return { nodes, layers: 0 };
  const readers = readersOf([...nodes, ...added]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const keys: KeySide[] = [];
  const values = new Map<NodeInfo, ValueSide>();
  for (const node of nodes) {
    const c = cacheConcat(node, graph.inputs);
    if (!c) continue;
    const key = keySide(c, readers, outputs);
    const value = key ? undefined : valueSide(c, readers);
    if (key) keys.push(key);
    else if (value) values.set(value.matmul, value);
  }
  const fresh = freshNames(graph.used);
  const replaced = new Map<NodeInfo, NodeInfo[]>();
  let layers = 0;
  for (const key of keys) {
    const value = pairedValueSide(key, readers, values);
    if (!value || replaced.has(value.matmul)) continue;
    replaced.set(key.matmul, splitScores(key, fresh));
    replaced.set(value.matmul, splitContext(value, fresh));
    layers++;
  }
  return { nodes: nodes.flatMap((n) => replaced.get(n) ?? [n]), layers };
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

/** A graph input or output as the file declares it. */
export interface GraphValueSignature {
  name: string;
  /** TensorProto.DataType of the tensor (0 when not declared). */
  dataType: number;
  /** A number for a fixed size, a string for a symbolic one, null for one the file leaves open. */
  dims: (number | string | null)[];
}

function readSignature(buf: Uint8Array, f: WireField): GraphValueSignature {
  const out: GraphValueSignature = { name: valueInfoName(buf, f), dataType: 0, dims: [] };
  const children = (parent: WireField, field: number): WireField[] =>
    [...wireFields(buf, parent.payloadStart, parent.end)].filter((g) => g.field === field);
  for (const type of children(f, VALUE_INFO_TYPE).filter((g) => g.wire === WIRE_LEN)) {
    for (const tensor of children(type, TYPE_TENSOR).filter((g) => g.wire === WIRE_LEN)) {
      for (const g of wireFields(buf, tensor.payloadStart, tensor.end)) {
        if (g.field === 1 && g.wire === WIRE_VARINT) out.dataType = readVarint(buf, g.payloadStart)[0];
        else if (g.field === TYPE_TENSOR_SHAPE && g.wire === WIRE_LEN) {
          for (const dim of children(g, SHAPE_DIM)) {
            let size: number | string | null = null;
            for (const d of wireFields(buf, dim.payloadStart, dim.end)) {
              if (d.field === DIM_VALUE && d.wire === WIRE_VARINT) size = readInt64(buf, d.payloadStart)[0];
              else if (d.field === DIM_PARAM && d.wire === WIRE_LEN) size = text(buf, d);
            }
            out.dims.push(size);
          }
        }
      }
    }
  }
  return out;
}

/**
 * The graph's inputs and outputs as the file declares them: what onnxruntime reports as a session's input
 * and output metadata, read without loading the model (so a runtime can plan its edits before it opens the
 * graph once). Inputs that are also initializers (overridable defaults) are left out, as onnxruntime does.
 */
export function readGraphSignature(
  bytes: Uint8Array,
  where = "model",
): { inputs: GraphValueSignature[]; outputs: GraphValueSignature[] } {
  try {
    const graphField = [...wireFields(bytes, 0, bytes.length)].find(
      (f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN,
    );
    if (!graphField) throw new WireError("no graph (ModelProto field 7)");
    const inputs: GraphValueSignature[] = [];
    const outputs: GraphValueSignature[] = [];
    const initializers = new Set<string>();
    for (const f of wireFields(bytes, graphField.payloadStart, graphField.end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === GRAPH_INPUT) inputs.push(readSignature(bytes, f));
      else if (f.field === GRAPH_OUTPUT) outputs.push(readSignature(bytes, f));
      else if (f.field === GRAPH_INITIALIZER) initializers.add(readInitializer(bytes, f).name);
    }
    return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  } catch (e) {
    if (e instanceof WireError) throw new Error(`${where}: not a readable ONNX model (${e.message})`);
    throw e;
  }
}

/**
 * Apply `edits` to a serialized model. `where` names the model in errors (a file path). Graphs with
 * subgraphs (If, Loop, Scan) keep all their nodes.
 */
export function editOnnxGraph(bytes: Uint8Array, edits: GraphEdits, where = "model"): EditResult {
  try {
    return applyEdits(bytes, edits, where);
  } catch (e) {
    if (e instanceof WireError) throw new Error(`${where}: not a readable ONNX model (${e.message})`);
    throw e;
  }
}

function applyEdits(bytes: Uint8Array, edits: GraphEdits, where: string): EditResult {
  const drop = edits.dropOutputs ?? new Set<string>();
  const promote = edits.initializersToInputs ?? new Set<string>();
  const modelFields = [...wireFields(bytes, 0, bytes.length)];
  const graphField = modelFields.find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN);
  if (!graphField) throw new WireError("no graph (ModelProto field 7)");
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
    return { bytes, removedOutputs: 0, removedNodes: 0, newInputs: [], splitAttentionLayers: 0 };
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
  };
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
