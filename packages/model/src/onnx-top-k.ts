/**
 * A TopK appended to a graph as an editOnnxGraph edit: the k largest entries of a float tensor's last axis
 * (highest first, ties by lower index, the ONNX TopK contract), with k a new int64 [1] input and the indices
 * cast to int32. A sampler can then fetch k candidates per position instead of a whole vocabulary.
 */
import type { GraphEdits } from "./onnx-edit.js";
import { OnnxAttributeType, OnnxDataType } from "./onnx-proto.js";

export interface TopKNames {
  /** The float tensor to take the top entries of (e.g. "logits"). */
  of: string;
  /** The new int64 [1] input holding k. */
  k: string;
  /** New outputs: the values (float32) and their indices (int32). */
  values: string;
  ids: string;
  /** Dims declared for both new outputs (strings are symbolic). */
  dims: readonly (number | string)[];
}

export function topKEdits(
  names: TopKNames,
): Required<Pick<GraphEdits, "addNodes" | "addInputs" | "addOutputs">> {
  const ids64 = `${names.ids}_int64`;
  return {
    addInputs: [{ name: names.k, dataType: OnnxDataType.INT64, dims: [1] }],
    addNodes: [
      {
        name: `${names.values}_top_k`,
        opType: "TopK",
        input: [names.of, names.k],
        output: [names.values, ids64],
        attribute: [
          { name: "axis", type: OnnxAttributeType.INT, i: -1 },
          { name: "largest", type: OnnxAttributeType.INT, i: 1 },
          { name: "sorted", type: OnnxAttributeType.INT, i: 1 },
        ],
      },
      {
        name: `${names.ids}_cast`,
        opType: "Cast",
        input: [ids64],
        output: [names.ids],
        attribute: [{ name: "to", type: OnnxAttributeType.INT, i: OnnxDataType.INT32 }],
      },
    ],
    addOutputs: [
      { name: names.values, dataType: OnnxDataType.FLOAT, dims: names.dims },
      { name: names.ids, dataType: OnnxDataType.INT32, dims: names.dims },
    ],
  };
}
