/**
 * The splitCachedAttention edit of onnx-edit.ts: find the attention layers that read a cache concatenated
 * from a past input and the step's new columns, and score and weight the past and the new columns
 * separately (see onnx-edit.ts's module comment for why).
 */
import { type OnnxAttributeProto, OnnxAttributeType } from "./onnx-proto.js";
import { type GraphInfo, isDefaultDomain, type NodeInfo, protoNode } from "./onnx-wire.js";

/** Shape with start/end arrived in opset 15. */
export const SPLIT_ATTENTION_MIN_OPSET = 15;
/** How many nodes may lie between scores and probabilities (Reshape, Add mask, Softmax, Reshape in ours). */
const MAX_SCORES_TO_PROBS = 8;
const SWAP_LAST_TWO = [0, 1, 3, 2];

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
export function splitAttention(
  graph: GraphInfo,
  added: readonly NodeInfo[],
): { nodes: NodeInfo[]; layers: number } {
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
