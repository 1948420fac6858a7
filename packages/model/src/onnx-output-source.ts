/**
 * Where a graph output's values are computed. Exports often end in nodes that only relabel a result
 * (our decoder: `Gemm → Reshape [B, S, V] → Identity "logits"`), and onnxruntime's CPU provider copies the
 * result into the output's own buffer there: for 128 rows of a 32k vocabulary that is 16 MB per decode step.
 * A runtime that reads the values flat can fetch the computing node's result instead (an editOnnxGraph edit:
 * drop the output, add the source as one) and skip the copy.
 */
import {
  type GraphInfo,
  isDefaultDomain,
  modelGraphField,
  readGraph,
  readInitializer,
  readingModel,
} from "./onnx-wire.js";

/** Ops that hand on their input's elements in the same (row-major) order, under another shape or name. */
const RELABELLING_OPS = new Set(["Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten"]);

export interface OutputSource {
  /** The value the last computing node writes (the output's own name when nothing relabels it). */
  value: string;
  /** That node's op type ("" when the output is a graph input or an initializer). */
  opType: string;
  /** The relabelling nodes between it and the output, from the output back (e.g. ["Identity", "Reshape"]). */
  through: string[];
  /**
   * The source's shape where the node fixes it: a Gemm gives [rows, n] with n read from its weight
   * initializer (`rows` stays null); null when unknown (any other op, or a weight computed in the graph).
   */
  dims: (number | null)[] | null;
}

/** Gemm's output is [M, N]; N is the weight's first dim with transB = 1, else its second. */
function gemmDims(
  graph: GraphInfo,
  bytes: Uint8Array,
  weight: string,
  transB: boolean,
): (number | null)[] | null {
  for (const f of graph.initializers) {
    const init = readInitializer(bytes, f);
    if (init.name !== weight) continue;
    if (init.dims.length !== 2) return null;
    return [null, init.dims[transB ? 0 : 1] as number];
  }
  return null;
}

/**
 * Follow a graph output back through relabelling nodes to the value a computing node writes. Returns null
 * when the graph has no such output. Only the main graph is read; a node with subgraphs ends the walk.
 */
export function readOutputSource(bytes: Uint8Array, output: string, where = "model"): OutputSource | null {
  const graph = readingModel(where, () => readGraph(bytes, modelGraphField(bytes).graphField));
  if (!graph.outputs.some((o) => o.name === output)) return null;
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const through: string[] = [];
  let value = output;
  for (;;) {
    const node = producer.get(value);
    if (node === undefined) return { value, opType: "", through, dims: null };
    const relabels = RELABELLING_OPS.has(node.opType) && isDefaultDomain(node.domain) && node.inputs[0];
    if (!relabels) {
      const dims =
        node.opType === "Gemm" && isDefaultDomain(node.domain) && node.inputs[1] !== undefined
          ? gemmDims(graph, bytes, node.inputs[1], (node.ints.get("transB")?.[0] ?? 0) === 1)
          : null;
      return { value, opType: node.opType, through, dims };
    }
    through.push(node.opType);
    value = node.inputs[0] as string;
  }
}
