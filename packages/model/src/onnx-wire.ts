/**
 * The protobuf wire format of ONNX models, as the graph edits (onnx-edit.ts) and the signature reader
 * (onnx-signature.ts) use it: fields read in place (so that those kept can be copied byte for byte), varints,
 * the field numbers of onnx.proto, and a graph's nodes, inputs, outputs and initializers as they read them.
 * Internal to this package.
 */

import { ModelFileError } from "./json-fields.js";
import { encodeOnnxNode, type OnnxNodeProto } from "./onnx-proto.js";

export const WIRE_VARINT = 0;
const WIRE_I64 = 1;
export const WIRE_LEN = 2;
const WIRE_I32 = 5;

// Field numbers in onnx.proto.
export const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
export const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_I = 3;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_INTS = 8;
const ATTRIBUTE_GRAPHS = 11;
const VALUE_INFO_NAME = 1;
export const VALUE_INFO_TYPE = 2;
export const TYPE_TENSOR = 1;
export const TYPE_TENSOR_SHAPE = 2;
export const SHAPE_DIM = 1;
export const DIM_VALUE = 1;
export const DIM_PARAM = 2;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;

export interface WireField {
  field: number;
  wire: number;
  /** Where the field's tag starts and where the field ends (payload included). */
  start: number;
  end: number;
  /** Where a length-delimited field's payload, or any other field's value, starts. */
  payloadStart: number;
}

export class WireError extends Error {}

/**
 * Run a reader of a model's wire format, turning a WireError (a malformed or truncated file) into an error
 * that names the model (`where`, a file path): a ModelFileError, which command-line tools report as such.
 */
export function readingModel<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof WireError) throw new ModelFileError(where, `not a readable ONNX model (${e.message})`);
    throw e;
  }
}

export function readVarint(buf: Uint8Array, at: number): [value: number, next: number] {
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
export function readInt64(buf: Uint8Array, at: number): [value: number, next: number] {
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

export function writeVarint(value: number): Uint8Array {
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
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
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

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
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
export function tensorValueInfo(
  name: string,
  dataType: number,
  dims: readonly (number | string)[],
): Uint8Array {
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

export interface InitializerInfo {
  name: string;
  dataType: number;
  dims: number[];
}

export function readInitializer(buf: Uint8Array, f: WireField): InitializerInfo {
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

export function* wireFields(buf: Uint8Array, start: number, end: number): Generator<WireField> {
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
export const text = (buf: Uint8Array, f: WireField): string =>
  decoder.decode(buf.subarray(f.payloadStart, f.end));

export interface NodeInfo {
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
export function protoNode(proto: OnnxNodeProto): NodeInfo {
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

export function valueInfoName(buf: Uint8Array, f: WireField): string {
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

export interface GraphInfo {
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

export function readGraph(buf: Uint8Array, graph: WireField): GraphInfo {
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

export const isDefaultDomain = (domain: string): boolean => domain === "" || domain === "ai.onnx";

/** The model's default-domain (ai.onnx) opset version, 0 when it imports none. */
export function defaultOpset(buf: Uint8Array, modelFields: readonly WireField[]): number {
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
export function liveNodes(nodes: readonly NodeInfo[], wanted: Iterable<string>): Set<NodeInfo> {
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

/** A model's top-level fields and, among them, its graph (ModelProto field 7). */
export function modelGraphField(bytes: Uint8Array): { modelFields: WireField[]; graphField: WireField } {
  const modelFields = [...wireFields(bytes, 0, bytes.length)];
  const graphField = modelFields.find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_LEN);
  if (!graphField) throw new WireError("no graph (ModelProto field 7)");
  return { modelFields, graphField };
}
