/**
 * Two edits of a serialized ONNX model that a runtime makes to the graph it loads, leaving the file as is:
 *
 * - **Drop graph outputs**, with the nodes that then compute nothing anyone reads. onnxruntime runs every
 *   node whether or not the caller fetches its outputs, so a runtime that never reads some outputs (a
 *   decoder driver that keeps its own KV cache does not need `present.*`) saves their work only by
 *   removing them from the graph.
 * - **Turn constant initializers into inputs** (e.g. our exports' `logits_to_keep`, 0 = every position),
 *   so the runtime can feed them; onnxruntime-node cannot feed an initializer that is also listed as an
 *   input, so the initializer goes.
 *
 * This works on the protobuf wire format: the fields it keeps are copied byte for byte, so initializers,
 * metadata and fields this package does not model (decodeOnnxModel would drop them) survive unchanged.
 */

export interface GraphEdits {
  /** Graph outputs to remove (with the nodes only they needed). */
  dropOutputs?: ReadonlySet<string>;
  /** Initializers to turn into graph inputs of the same dtype and shape. */
  initializersToInputs?: ReadonlySet<string>;
}

export interface EditResult {
  /** The edited model (the input itself when nothing changed). */
  bytes: Uint8Array;
  removedOutputs: number;
  removedNodes: number;
  /** Initializers that became inputs (those of `initializersToInputs` the model has). */
  newInputs: string[];
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

// Field numbers in onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const VALUE_INFO_NAME = 1;
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

/** ValueInfoProto { name, type: TypeProto { tensor_type { elem_type, shape { dim { dim_value }* } } } }. */
function tensorValueInfo(name: string, dataType: number, dims: readonly number[]): Uint8Array {
  const shape = concatBytes(dims.map((d) => lengthDelimited(1, varintField(1, d))));
  const tensorType = concatBytes([varintField(1, dataType), lengthDelimited(2, shape)]);
  const type = lengthDelimited(1, tensorType);
  return concatBytes([lengthDelimited(1, encoder.encode(name)), lengthDelimited(2, type)]);
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
  field: WireField;
  inputs: string[];
  outputs: string[];
  /** Holds a subgraph (If, Loop, Scan, ...), whose reads of outer values are not listed as inputs. */
  hasSubgraph: boolean;
}

function readNode(buf: Uint8Array, f: WireField): NodeInfo {
  const node: NodeInfo = { field: f, inputs: [], outputs: [], hasSubgraph: false };
  for (const g of wireFields(buf, f.payloadStart, f.end)) {
    if (g.wire !== WIRE_LEN) continue;
    if (g.field === NODE_INPUT) node.inputs.push(text(buf, g));
    else if (g.field === NODE_OUTPUT) node.outputs.push(text(buf, g));
    else if (g.field === NODE_ATTRIBUTE) {
      for (const a of wireFields(buf, g.payloadStart, g.end))
        if (a.field === ATTRIBUTE_GRAPH || a.field === ATTRIBUTE_GRAPHS) node.hasSubgraph = true;
    }
  }
  return node;
}

function valueInfoName(buf: Uint8Array, f: WireField): string {
  for (const g of wireFields(buf, f.payloadStart, f.end))
    if (g.field === VALUE_INFO_NAME && g.wire === WIRE_LEN) return text(buf, g);
  return "";
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

/**
 * Apply `edits` to a serialized model. `where` names the model in errors (a file path). Graphs with
 * subgraphs (If, Loop, Scan) keep all their nodes.
 */
export function editOnnxGraph(bytes: Uint8Array, edits: GraphEdits, where = "model"): EditResult {
  const drop = edits.dropOutputs ?? new Set<string>();
  const promote = edits.initializersToInputs ?? new Set<string>();
  try {
    const modelFields = [...wireFields(bytes, 0, bytes.length)];
    const graph = modelFields.find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN);
    if (!graph) throw new WireError("no graph (ModelProto field 7)");
    const graphFields = [...wireFields(bytes, graph.payloadStart, graph.end)];
    const nodes: NodeInfo[] = [];
    const keptOutputs: string[] = [];
    const inputs = new Set<string>();
    const skip = new Set<number>(); // start offsets of graph fields to leave out
    const promoted: InitializerInfo[] = [];
    let removedOutputs = 0;
    for (const f of graphFields) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === GRAPH_NODE) nodes.push(readNode(bytes, f));
      else if (f.field === GRAPH_INPUT) inputs.add(valueInfoName(bytes, f));
      else if (f.field === GRAPH_OUTPUT) {
        const name = valueInfoName(bytes, f);
        if (drop.has(name)) {
          removedOutputs++;
          skip.add(f.start);
        } else keptOutputs.push(name);
      } else if (f.field === GRAPH_INITIALIZER && promote.size > 0) {
        const info = readInitializer(bytes, f);
        if (promote.has(info.name)) {
          promoted.push(info);
          skip.add(f.start);
        }
      }
    }
    if (removedOutputs === 0 && promoted.length === 0) {
      return { bytes, removedOutputs: 0, removedNodes: 0, newInputs: [] };
    }
    const live = removedOutputs > 0 ? liveNodes(nodes, keptOutputs) : new Set(nodes);
    const deadValues = new Set<string>();
    for (const node of nodes) {
      if (live.has(node)) continue;
      skip.add(node.field.start);
      for (const o of node.outputs) deadValues.add(o);
    }
    for (const f of graphFields) {
      if (f.field === GRAPH_VALUE_INFO && f.wire === WIRE_LEN && deadValues.has(valueInfoName(bytes, f)))
        skip.add(f.start);
    }
    const graphParts = graphFields
      .filter((f) => !skip.has(f.start))
      .map((f) => bytes.subarray(f.start, f.end));
    // An initializer that was also listed as an input (an overridable default) keeps that input.
    const newInputs = promoted.filter((p) => !inputs.has(p.name));
    for (const p of newInputs)
      graphParts.push(lengthDelimited(GRAPH_INPUT, tensorValueInfo(p.name, p.dataType, p.dims)));
    const graphLength = graphParts.reduce((n, p) => n + p.length, 0);
    const parts: Uint8Array[] = [];
    for (const f of modelFields) {
      if (f !== graph) parts.push(bytes.subarray(f.start, f.end));
      else parts.push(writeVarint(MODEL_GRAPH * 8 + WIRE_LEN), writeVarint(graphLength), ...graphParts);
    }
    return {
      bytes: concatBytes(parts),
      removedOutputs,
      removedNodes: nodes.length - live.size,
      newInputs: promoted.map((p) => p.name),
    };
  } catch (e) {
    if (e instanceof WireError) throw new Error(`${where}: not a readable ONNX model (${e.message})`);
    throw e;
  }
}
