/**
 * The exported tiny model re-dressed in other exporters' I/O contracts, same weights and arithmetic: KV
 * cache in float16, KV laid out [batch, seq, heads, dim], int32 ids / mask / positions, no position_ids
 * input (positions computed from the mask inside the graph, as ORT GenAI's GroupQueryAttention exports
 * do), no `new_key_values.*` outputs (Optimum's exports have only `present.*`), float16 logits. Conversions
 * sit at the graph's edges (Cast, Transpose), so what changes between variants is only what the engine
 * feeds and reads: the paths that read the contract from metadata run end to end on a real model.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  decodeOnnxModel,
  encodeOnnxModel,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxDim,
  type OnnxNodeProto,
  type OnnxValueInfoProto,
} from "@ssb/model";
import { parseKvName } from "../src/decoder-io.js";

export interface DecoderInterface {
  /** Element type of the past / present (and new-column) KV tensors. */
  kv?: "float32" | "float16";
  kvLayout?: "heads-first" | "seq-first";
  /** Element type of input_ids, attention_mask and position_ids. */
  ints?: "int32" | "int64";
  /** false: no position_ids input; the graph counts positions from the attention mask. */
  positionIds?: boolean;
  /** false: no `new_key_values.*` outputs (only `present.*`). */
  stepKv?: boolean;
  logits?: "float32" | "float16";
  /**
   * A bool `use_cache_branch` input, as Optimum's merged decoders have. The graph zeroes every logit unless
   * it is true exactly when the pass has cached positions, so a wrong feed shows in the logits.
   */
  useCacheBranch?: boolean;
  /** Our `logits_to_keep` constant as an int64 scalar input of this name (e.g. "num_logits_to_keep"). */
  logitsToKeepInput?: string;
  /** An extra float input of this name, which no decoder driver knows how to feed. */
  extraInput?: string;
  /** Write the model as `onnx/model.onnx`, the other files beside `onnx/` (the Hugging Face layout). */
  onnxSubfolder?: boolean;
}

const ELEM = { float32: OnnxDataType.FLOAT, float16: OnnxDataType.FLOAT16 } as const;

type Attribute = OnnxNodeProto["attribute"][number];
const intsAttr = (name: string, ints: number[]): Attribute => ({ name, type: OnnxAttributeType.INTS, ints });
const intAttr = (name: string, i: number): Attribute => ({ name, type: OnnxAttributeType.INT, i });
const int64Bytes = (...values: bigint[]): Uint8Array => new Uint8Array(BigInt64Array.from(values).buffer);

function node(
  opType: string,
  input: string[],
  output: string[],
  attribute = [] as OnnxNodeProto["attribute"],
): OnnxNodeProto {
  return { opType, input, output, name: `${output[0]}/${opType}`, attribute };
}

function tensorType(v: OnnxValueInfoProto): OnnxValueInfoProto["type"]["tensorType"] {
  return v.type.tensorType;
}

/** Swap dims 1 and 2 of a rank-4 value info ([b, h, s, d] <-> [b, s, h, d]). */
function swapHeadsAndSeq(v: OnnxValueInfoProto): void {
  const dims = tensorType(v).shape.dim;
  const [a, b] = [dims[1] as OnnxDim, dims[2] as OnnxDim];
  dims[1] = b;
  dims[2] = a;
}

/**
 * Write `model.onnx` of `exportDir` (an @ssb/model plain export, inline weights) re-dressed per `contract`
 * into `outDir`, with the export's other files (config, tokenizer) beside it.
 */
export async function writeDecoderInterface(
  exportDir: string,
  outDir: string,
  contract: DecoderInterface,
): Promise<void> {
  const model = decodeOnnxModel(await readFile(path.join(exportDir, "model.onnx")));
  const g = model.graph;
  const kvElem = ELEM[contract.kv ?? "float32"];
  const seqFirst = contract.kvLayout === "seq-first";
  const int32 = contract.ints === "int32";
  const inner = (name: string) => `${name}/as_computed`;
  const renamed = new Set<string>();
  const head: OnnxNodeProto[] = [];
  const tail: OnnxNodeProto[] = [];

  for (const v of g.input) {
    const kv = parseKvName(v.name);
    if (kv?.role === "past" && (seqFirst || kvElem !== OnnxDataType.FLOAT)) {
      let value = v.name;
      if (seqFirst) {
        swapHeadsAndSeq(v);
        head.push(node("Transpose", [value], [`${v.name}/heads_first`], [intsAttr("perm", [0, 2, 1, 3])]));
        value = `${v.name}/heads_first`;
      }
      if (kvElem !== OnnxDataType.FLOAT) {
        tensorType(v).elemType = kvElem;
        head.push(node("Cast", [value], [`${v.name}/f32`], [intAttr("to", OnnxDataType.FLOAT)]));
        value = `${v.name}/f32`;
      }
      head.push(node("Identity", [value], [inner(v.name)]));
      renamed.add(v.name);
    } else if (int32 && ["input_ids", "attention_mask", "position_ids"].includes(v.name)) {
      if (v.name === "position_ids" && contract.positionIds === false) continue; // computed below
      tensorType(v).elemType = OnnxDataType.INT32;
      head.push(node("Cast", [v.name], [inner(v.name)], [intAttr("to", OnnxDataType.INT64)]));
      renamed.add(v.name);
    }
  }

  if (contract.positionIds === false) {
    // position = (unmasked columns up to and including this one) - 1, over the last seq columns.
    const p = "position_ids";
    const mask = int32 ? inner("attention_mask") : "attention_mask";
    const one = int64Bytes(1n);
    g.initializer.push(
      { name: `${p}/one`, dims: [], dataType: OnnxDataType.INT64, rawData: one },
      { name: `${p}/axes`, dims: [1], dataType: OnnxDataType.INT64, rawData: one },
    );
    const ids = int32 ? inner("input_ids") : "input_ids";
    head.push(
      node("CumSum", [mask, `${p}/one`], [`${p}/count`]),
      node("Sub", [`${p}/count`, `${p}/one`], [`${p}/all`]),
      node("Shape", [ids], [`${p}/seq`], [intAttr("start", 1), intAttr("end", 2)]),
      node("Neg", [`${p}/seq`], [`${p}/start`]),
      node("Shape", [mask], [`${p}/end`], [intAttr("start", 1), intAttr("end", 2)]),
      node("Slice", [`${p}/all`, `${p}/start`, `${p}/end`, `${p}/axes`], [inner(p)]),
    );
    g.input = g.input.filter((v) => v.name !== p);
    renamed.add(p);
  }

  if (contract.logitsToKeepInput !== undefined) {
    const keep = "logits_to_keep";
    const name = contract.logitsToKeepInput;
    g.initializer = g.initializer.filter((t) => t.name !== keep);
    g.initializer.push({
      name: `${keep}/shape`,
      dims: [1],
      dataType: OnnxDataType.INT64,
      rawData: int64Bytes(1n),
    });
    g.input.push({ name, type: { tensorType: { elemType: OnnxDataType.INT64, shape: { dim: [] } } } });
    head.push(node("Reshape", [name, `${keep}/shape`], [inner(keep)]));
    renamed.add(keep);
  }

  if (contract.extraInput !== undefined) {
    const dim = [{ dimParam: "batch_size" }];
    g.input.push({
      name: contract.extraInput,
      type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim } } },
    });
  }

  // logits x Cast(use_cache_branch == (past length > 0)): all zeros after a wrong feed.
  let logitsGate: string | null = null;
  if (contract.useCacheBranch) {
    const b = "use_cache_branch";
    const past = g.input.find((v) => parseKvName(v.name)?.role === "past")?.name as string;
    const seqAxis = seqFirst ? 1 : 2;
    g.input.push({
      name: b,
      type: { tensorType: { elemType: OnnxDataType.BOOL, shape: { dim: [{ dimValue: 1 }] } } },
    });
    g.initializer.push({
      name: `${b}/zero`,
      dims: [1],
      dataType: OnnxDataType.INT64,
      rawData: int64Bytes(0n),
    });
    head.push(
      node("Shape", [past], [`${b}/past_length`], [intAttr("start", seqAxis), intAttr("end", seqAxis + 1)]),
      node("Greater", [`${b}/past_length`, `${b}/zero`], [`${b}/has_past`]),
      node("Equal", [b, `${b}/has_past`], [`${b}/agrees`]),
      node("Cast", [`${b}/agrees`], [`${b}/gate`], [intAttr("to", OnnxDataType.FLOAT)]),
    );
    logitsGate = `${b}/gate`;
  }

  if (contract.stepKv === false) g.output = g.output.filter((v) => !v.name.startsWith("new_key_values."));
  for (const v of g.output) {
    const kv = parseKvName(v.name);
    const isStep = v.name.startsWith("new_key_values.");
    const isKv = kv?.role === "present" || isStep;
    const transpose = seqFirst && kv?.role === "present";
    const toElem = isKv
      ? kvElem
      : v.name === "logits"
        ? ELEM[contract.logits ?? "float32"]
        : OnnxDataType.FLOAT;
    const gate = v.name === "logits" ? logitsGate : null;
    if (!transpose && !gate && toElem === OnnxDataType.FLOAT) continue;
    let value = inner(v.name);
    if (gate) {
      tail.push(node("Mul", [value, gate], [`${v.name}/gated`]));
      value = `${v.name}/gated`;
    }
    if (transpose) {
      swapHeadsAndSeq(v);
      tail.push(node("Transpose", [value], [`${v.name}/seq_first`], [intsAttr("perm", [0, 2, 1, 3])]));
      value = `${v.name}/seq_first`;
    }
    tensorType(v).elemType = toElem;
    tail.push(
      node(
        toElem === OnnxDataType.FLOAT ? "Identity" : "Cast",
        [value],
        [v.name],
        toElem === OnnxDataType.FLOAT ? [] : [intAttr("to", toElem)],
      ),
    );
    renamed.add(v.name);
  }

  // Every existing node reads (and writes) the inner names; the edges above convert at the graph's border.
  for (const n of g.node) {
    n.input = n.input.map((x) => (renamed.has(x) ? inner(x) : x));
    n.output = n.output.map((x) => (renamed.has(x) ? inner(x) : x));
  }
  g.node = [...head, ...g.node, ...tail];
  const modelDir = contract.onnxSubfolder ? path.join(outDir, "onnx") : outDir;
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, "model.onnx"), encodeOnnxModel(model));
  for (const file of await readdir(exportDir)) {
    if (file !== "model.onnx") await copyFile(path.join(exportDir, file), path.join(outDir, file));
  }
}
