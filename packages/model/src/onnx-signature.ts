/** The inputs and outputs an ONNX model's graph declares, read from the protobuf wire format. */
import {
  DIM_PARAM,
  DIM_VALUE,
  defaultOpset,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  modelGraphField,
  NODE_OP_TYPE,
  readInitializer,
  readInt64,
  readingModel,
  readVarint,
  SHAPE_DIM,
  TYPE_TENSOR,
  TYPE_TENSOR_SHAPE,
  text,
  VALUE_INFO_TYPE,
  valueInfoName,
  WIRE_LEN,
  WIRE_VARINT,
  type WireField,
  wireFields,
} from "./onnx-wire.js";

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

/** What a graph declares and runs, read from the file. */
export interface GraphSignature {
  inputs: GraphValueSignature[];
  outputs: GraphValueSignature[];
  /** The distinct op types of the main graph's nodes (e.g. "MatMul", "GroupQueryAttention"). */
  opTypes: string[];
  /** The default-domain (ai.onnx) opset the model imports, 0 when none: which form new nodes must take. */
  opset: number;
}

/**
 * The graph's inputs and outputs as the file declares them: what onnxruntime reports as a session's input
 * and output metadata, read without loading the model (so a runtime can plan its edits before it opens the
 * graph once). Inputs that are also initializers (overridable defaults) are left out, as onnxruntime does.
 * Also the op types the graph uses, for kernels whose limits a runtime must respect.
 */
export function readGraphSignature(bytes: Uint8Array, where = "model"): GraphSignature {
  return readingModel(where, () => {
    const { modelFields, graphField } = modelGraphField(bytes);
    const inputs: GraphValueSignature[] = [];
    const outputs: GraphValueSignature[] = [];
    const initializers = new Set<string>();
    const opTypes = new Set<string>();
    for (const f of wireFields(bytes, graphField.payloadStart, graphField.end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === GRAPH_NODE) {
        for (const g of wireFields(bytes, f.payloadStart, f.end))
          if (g.field === NODE_OP_TYPE && g.wire === WIRE_LEN) opTypes.add(text(bytes, g));
      } else if (f.field === GRAPH_INPUT) inputs.push(readSignature(bytes, f));
      else if (f.field === GRAPH_OUTPUT) outputs.push(readSignature(bytes, f));
      else if (f.field === GRAPH_INITIALIZER) initializers.add(readInitializer(bytes, f).name);
    }
    return {
      inputs: inputs.filter((i) => !initializers.has(i.name)),
      outputs,
      opTypes: [...opTypes],
      opset: defaultOpset(bytes, modelFields),
    };
  });
}
