/**
 * A tiny ONNX graph builder: named values, nodes, graph inputs/outputs and initializers. Initializer
 * data is held as a loader, not bytes, so a graph over a multi-gigabyte checkpoint can be described
 * first and its weights streamed to disk one tensor at a time by the writer (export-onnx.ts).
 */
import {
  type OnnxAttributeProto,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxDataTypeCode,
  type OnnxDim,
  type OnnxNodeProto,
  type OnnxValueInfoProto,
} from "./onnx-proto.js";

/** An attribute value: numbers are ints unless wrapped with {@link floatAttr}. */
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

export const floatAttr = (value: number): { float: number } => ({ float: value });
export const floatsAttr = (values: number[]): { floats: number[] } => ({ floats: values });

/** A dimension of a graph input/output: a fixed size or a symbolic name ("batch"). */
export type DimSpec = number | string;

export interface GraphValueInfo {
  name: string;
  elemType: OnnxDataTypeCode;
  shape: DimSpec[];
}

/** A constant tensor whose bytes are produced on demand (little-endian element data). */
export interface GraphInitializer {
  name: string;
  dataType: OnnxDataTypeCode;
  dims: number[];
  byteLength: number;
  load(): Promise<Uint8Array>;
}

export interface NodeOptions {
  attrs?: Record<string, AttrValue>;
  domain?: string;
  /** How many outputs (default 1), or their names. */
  outputs?: number | string[];
  /** Node name prefix; a unique suffix is added. */
  name?: string;
}

export const BYTES_PER_ELEMENT: Partial<Record<OnnxDataTypeCode, number>> = {
  [OnnxDataType.FLOAT]: 4,
  [OnnxDataType.INT32]: 4,
  [OnnxDataType.INT64]: 8,
  [OnnxDataType.FLOAT16]: 2,
  [OnnxDataType.BFLOAT16]: 2,
  [OnnxDataType.DOUBLE]: 8,
  [OnnxDataType.BOOL]: 1,
  [OnnxDataType.UINT8]: 1,
  [OnnxDataType.INT8]: 1,
};

function attributeProto(name: string, value: AttrValue): OnnxAttributeProto {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new Error(`attribute ${name}: ${value} is not an integer (wrap floats with floatAttr)`);
    }
    return { name, type: OnnxAttributeType.INT, i: value };
  }
  if (typeof value === "string") {
    return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer`);
    }
    return { name, type: OnnxAttributeType.INTS, ints: value };
  }
  if ("float" in value) return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  return { name, type: OnnxAttributeType.FLOATS, floats: value.floats };
}

export function valueInfoProto(info: GraphValueInfo): OnnxValueInfoProto {
  const dim: OnnxDim[] = info.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name: info.name, type: { tensorType: { elemType: info.elemType, shape: { dim } } } };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Collects a graph; values are plain strings (ONNX value names). */
export class GraphBuilder {
  readonly nodes: OnnxNodeProto[] = [];
  readonly inputs: GraphValueInfo[] = [];
  readonly outputs: GraphValueInfo[] = [];
  readonly initializers: GraphInitializer[] = [];
  /** Opset versions per domain ("" = ai.onnx) that the nodes need. */
  readonly opsets = new Map<string, number>();
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(defaultOpset: number) {
    this.opsets.set("", defaultOpset);
  }

  /** An unused value name starting with `hint` (reserved by whoever then declares it). */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    return name;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name "${name}" is used twice`);
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: OnnxDataTypeCode, shape: DimSpec[]): string {
    this.inputs.push({ name: this.claim(name), elemType, shape });
    return name;
  }

  /** Declare `value` as a graph output named `name` (an Identity is inserted when the names differ). */
  output(value: string, name: string, elemType: OnnxDataTypeCode, shape: DimSpec[]): string {
    const out = value === name ? name : this.node("Identity", [value], { outputs: [name] })[0]!;
    this.outputs.push({ name: out, elemType, shape });
    return out;
  }

  useOpset(domain: string, version: number): void {
    this.opsets.set(domain, Math.max(this.opsets.get(domain) ?? 0, version));
  }

  /** Add a node; returns its output names. */
  node(opType: string, inputs: string[], options: NodeOptions = {}): string[] {
    const outputs =
      typeof options.outputs === "object"
        ? options.outputs.map((n) => (n === "" ? n : this.claim(n))) // "" = optional output not produced
        : Array.from({ length: options.outputs ?? 1 }, (_, k) =>
            this.claim(this.fresh(`${options.name ?? opType.toLowerCase()}${k === 0 ? "" : `_out${k}`}`)),
          );
    const attribute = Object.entries(options.attrs ?? {}).map(([k, v]) => attributeProto(k, v));
    const node: OnnxNodeProto = {
      input: inputs,
      output: outputs,
      name: this.claim(this.fresh(`${options.name ?? opType}_node`)),
      opType,
      attribute,
    };
    if (options.domain) node.domain = options.domain;
    this.nodes.push(node);
    return outputs;
  }

  /** A single-output node. */
  op(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, name?: string): string {
    const options: NodeOptions = {};
    if (attrs) options.attrs = attrs;
    if (name) options.name = name;
    return this.node(opType, inputs, options)[0]!;
  }

  /** An initializer whose bytes come from `load` when the model is written. */
  lazyInitializer(
    name: string,
    dataType: OnnxDataTypeCode,
    dims: number[],
    load: () => Promise<Uint8Array>,
  ): string {
    const size = BYTES_PER_ELEMENT[dataType];
    if (size === undefined) throw new Error(`initializer ${name}: unsupported data type ${dataType}`);
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({ name: this.claim(name), dataType, dims, byteLength: count * size, load });
    return name;
  }

  /** An initializer from data in memory. */
  initializer(name: string, dataType: OnnxDataTypeCode, dims: number[], data: ArrayBufferView): string {
    const bytes = bytesOf(data);
    const named = this.lazyInitializer(name, dataType, dims, async () => bytes);
    const expected = this.initializers[this.initializers.length - 1]!.byteLength;
    if (bytes.byteLength !== expected) {
      throw new Error(`initializer ${name}: ${bytes.byteLength} bytes, expected ${expected} for [${dims}]`);
    }
    return named;
  }

  /** A small int64 constant (shapes, axes), shared between uses with the same value. */
  int64(values: number[], dims: number[] = [values.length], hint = "const_i64"): string {
    const key = `i64:${dims.join("x")}:${values.join(",")}`;
    const found = this.constants.get(key);
    if (found) return found;
    const name = this.initializer(
      this.fresh(hint),
      OnnxDataType.INT64,
      dims,
      BigInt64Array.from(values.map((v) => BigInt(v))),
    );
    this.constants.set(key, name);
    return name;
  }

  /** A small float32 constant, shared between uses with the same value. */
  float32(values: number[], dims: number[] = [values.length], hint = "const_f32"): string {
    const data = Float32Array.from(values);
    const key = `f32:${dims.join("x")}:${Array.from(data).join(",")}`;
    const found = this.constants.get(key);
    if (found) return found;
    const name = this.initializer(this.fresh(hint), OnnxDataType.FLOAT, dims, data);
    this.constants.set(key, name);
    return name;
  }

  nodeProtos(): OnnxNodeProto[] {
    return this.nodes;
  }

  inputProtos(): OnnxValueInfoProto[] {
    return this.inputs.map(valueInfoProto);
  }

  outputProtos(): OnnxValueInfoProto[] {
    return this.outputs.map(valueInfoProto);
  }
}
