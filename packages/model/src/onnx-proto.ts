/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) that a decoder
 * export needs, declared as protobufjs reflection JSON. Field numbers are copied from the schema; only
 * the messages and fields we write (and read back in tests) are declared, so the encoding stays exact
 * and small. Unknown fields in files we decode are skipped by protobufjs, as protobuf requires.
 */
import protobuf from "protobufjs";

/** TensorProto.DataType values we use. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;
export type OnnxDataTypeCode = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** AttributeProto.AttributeType values. */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
} as const;

/** ONNX IR version 8 (ONNX 1.13 era): what opset 17 models declare; ORT 1.x reads it. */
export const ONNX_IR_VERSION = 8;

export interface OnnxStringEntry {
  key: string;
  value: string;
}

export interface OnnxTensorProto {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian element bytes; absent when the data lives in an external file. */
  rawData?: Uint8Array;
  /** `location`, `offset`, `length` (as strings) for external data. */
  externalData?: OnnxStringEntry[];
  /** 1 = EXTERNAL. */
  dataLocation?: number;
}

export interface OnnxAttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensorProto;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain?: string;
  attribute: OnnxAttributeProto[];
}

/** One dimension: a fixed size or a symbolic name. */
export type OnnxDim = { dimValue: number } | { dimParam: string };

export interface OnnxValueInfoProto {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: OnnxDim[] } } };
}

export interface OnnxGraphProto {
  name: string;
  node: OnnxNodeProto[];
  initializer: OnnxTensorProto[];
  input: OnnxValueInfoProto[];
  output: OnnxValueInfoProto[];
}

export interface OnnxModelProto {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: OnnxGraphProto;
  metadataProps?: OnnxStringEntry[];
}

type FieldSpec = { type: string; id: number; rule?: "repeated" };

const message = (
  fields: Record<string, FieldSpec>,
  nested?: Record<string, protobuf.AnyNestedObject>,
): protobuf.IType => (nested ? { fields, nested } : { fields });

// Field names are camelCase (protobufjs uses them as given); only the ids matter on the wire.
const ONNX_SCHEMA: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: message({
          key: { type: "string", id: 1 },
          value: { type: "string", id: 2 },
        }),
        OperatorSetIdProto: message({
          domain: { type: "string", id: 1 },
          version: { type: "int64", id: 2 },
        }),
        TensorProto: message({
          dims: { type: "int64", id: 1, rule: "repeated" },
          dataType: { type: "int32", id: 2 },
          name: { type: "string", id: 8 },
          rawData: { type: "bytes", id: 9 },
          docString: { type: "string", id: 12 },
          externalData: { type: "StringStringEntryProto", id: 13, rule: "repeated" },
          dataLocation: { type: "int32", id: 14 },
        }),
        AttributeProto: message({
          name: { type: "string", id: 1 },
          f: { type: "float", id: 2 },
          i: { type: "int64", id: 3 },
          s: { type: "bytes", id: 4 },
          t: { type: "TensorProto", id: 5 },
          floats: { type: "float", id: 7, rule: "repeated" },
          ints: { type: "int64", id: 8, rule: "repeated" },
          docString: { type: "string", id: 13 },
          type: { type: "int32", id: 20 },
        }),
        NodeProto: message({
          input: { type: "string", id: 1, rule: "repeated" },
          output: { type: "string", id: 2, rule: "repeated" },
          name: { type: "string", id: 3 },
          opType: { type: "string", id: 4 },
          attribute: { type: "AttributeProto", id: 5, rule: "repeated" },
          docString: { type: "string", id: 6 },
          domain: { type: "string", id: 7 },
        }),
        TensorShapeProto: message(
          { dim: { type: "Dimension", id: 1, rule: "repeated" } },
          {
            Dimension: {
              oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
              fields: {
                dimValue: { type: "int64", id: 1 },
                dimParam: { type: "string", id: 2 },
              },
            },
          },
        ),
        TypeProto: {
          oneofs: { value: { oneof: ["tensorType"] } },
          fields: { tensorType: { type: "Tensor", id: 1 } },
          nested: {
            Tensor: message({
              elemType: { type: "int32", id: 1 },
              shape: { type: "TensorShapeProto", id: 2 },
            }),
          },
        },
        ValueInfoProto: message({
          name: { type: "string", id: 1 },
          type: { type: "TypeProto", id: 2 },
          docString: { type: "string", id: 3 },
        }),
        GraphProto: message({
          node: { type: "NodeProto", id: 1, rule: "repeated" },
          name: { type: "string", id: 2 },
          initializer: { type: "TensorProto", id: 5, rule: "repeated" },
          docString: { type: "string", id: 10 },
          input: { type: "ValueInfoProto", id: 11, rule: "repeated" },
          output: { type: "ValueInfoProto", id: 12, rule: "repeated" },
          valueInfo: { type: "ValueInfoProto", id: 13, rule: "repeated" },
        }),
        ModelProto: message({
          irVersion: { type: "int64", id: 1 },
          producerName: { type: "string", id: 2 },
          producerVersion: { type: "string", id: 3 },
          domain: { type: "string", id: 4 },
          modelVersion: { type: "int64", id: 5 },
          docString: { type: "string", id: 6 },
          graph: { type: "GraphProto", id: 7 },
          opsetImport: { type: "OperatorSetIdProto", id: 8, rule: "repeated" },
          metadataProps: { type: "StringStringEntryProto", id: 14, rule: "repeated" },
        }),
      },
    },
  },
};

let root: protobuf.Root | undefined;
const types = new Map<string, protobuf.Type>();

function onnxType(name: "ModelProto" | "NodeProto"): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    root ??= protobuf.Root.fromJSON(ONNX_SCHEMA);
    type = root.lookupType(`onnx.${name}`);
    types.set(name, type);
  }
  return type;
}

const modelProtoType = (): protobuf.Type => onnxType("ModelProto");

/** Serialise a ModelProto. The result must stay under protobuf's 2 GiB limit (use external data). */
export function encodeOnnxModel(model: OnnxModelProto): Uint8Array {
  const type = modelProtoType();
  // fromObject converts nested plain objects (camelCase keys) into messages, validating types.
  return type.encode(type.fromObject(model)).finish();
}

/** Parse a ModelProto (the subset above) into plain objects; for tests and inspection. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModelProto {
  const type = modelProtoType();
  const object = type.toObject(type.decode(bytes), {
    longs: Number,
    enums: Number,
    bytes: Uint8Array,
    defaults: false,
    arrays: true,
    oneofs: false,
  });
  return object as OnnxModelProto;
}

/**
 * Serialise one NodeProto: the payload of a GraphProto `node` field, for edits that splice nodes into a
 * serialized graph (editOnnxGraph). Attributes need `type` set, as ONNX requires.
 */
export function encodeOnnxNode(node: OnnxNodeProto): Uint8Array {
  const type = onnxType("NodeProto");
  return type.encode(type.fromObject(node)).finish();
}
