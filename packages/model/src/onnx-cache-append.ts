/**
 * Where a decoder's `present` cache is its `past` input with the step's new columns appended along the
 * sequence axis, `present = Concat(past, step, axis = 2)` (how torch.onnx writes transformers' KV cache
 * update, so Optimum's exports and our plain export have it), the step's columns are a value of the graph.
 * A runtime that keeps its own cache can add that value as an output (an editOnnxGraph `addOutputs` edit) and
 * fetch it instead of the whole `present` cache, which onnxruntime-node copies into JavaScript memory on
 * every step. Our exports return those columns already (`new_key_values.*`); this finds them in others'.
 */
import { isDefaultDomain, modelGraphField, readGraph, readingModel } from "./onnx-wire.js";

/** One layer's key or value: the graph input that holds the past and the output that returns the cache. */
export interface CachePair {
  past: string;
  present: string;
}

/**
 * For each pair, the value holding the step's new columns: the second input of the `Concat(past, step)`
 * along axis 2 (or -2) of a rank-4 `past` graph input that `present` returns, directly or through Identity
 * nodes. null for a pair whose `present` is computed otherwise (a fused attention op, a cast cache, a
 * [batch, seq, heads, dim] layout). Only the main graph is read.
 */
export function readCacheAppends(
  bytes: Uint8Array,
  pairs: readonly CachePair[],
  where = "model",
): (string | null)[] {
  const graph = readingModel(where, () => readGraph(bytes, modelGraphField(bytes).graphField));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  return pairs.map(({ past, present }) => {
    if (!outputs.has(present) || graph.inputs.get(past) !== 4) return null;
    let node = producer.get(present);
    while (node?.opType === "Identity" && isDefaultDomain(node.domain) && node.inputs[0] !== undefined)
      node = producer.get(node.inputs[0]);
    if (!node || node.opType !== "Concat" || !isDefaultDomain(node.domain)) return null;
    if (node.inputs.length !== 2 || node.inputs[0] !== past) return null;
    const axis = node.ints.get("axis");
    if (axis?.length !== 1 || (axis[0] !== 2 && axis[0] !== -2)) return null;
    return node.inputs[1] ?? null;
  });
}
