/**
 * What a decoder-with-past ONNX graph expects, read from the session's own metadata rather than assumed:
 * input / output names, the dtype of ids, mask and positions (int32 or int64), the KV dtype (f32 or f16),
 * the KV layout (heads before or after the sequence axis) and the KV head count and head size.
 * Exports from @ssb/model, Optimum and ONNX Runtime GenAI all fit; their names differ only in spelling.
 */
import { decoderIo } from "@ssb/model";
import { RolloutError } from "./errors.js";

export type IntDtype = "int32" | "int64";
export type KvDtype = "float32" | "float16";

/** One graph input or output, as onnxruntime reports it. */
export interface ValueInfo {
  name: string;
  type: string;
  /** Numbers for fixed dims, strings for symbolic ones. */
  shape: ReadonlyArray<number | string>;
}

/** Where the sequence axis of a KV tensor sits: [batch, heads, seq, dim] or [batch, seq, heads, dim]. */
export type KvLayout = "heads-first" | "seq-first";

export interface KvPair {
  layer: number;
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

export interface DecoderIo {
  inputIds: string;
  inputIdsType: IntDtype;
  attentionMask: string | null;
  attentionMaskType: IntDtype;
  positionIds: string | null;
  positionIdsType: IntDtype;
  /**
   * A boolean input choosing the with-past branch of a merged decoder (`use_cache_branch` in Optimum's
   * `decoder_model_merged.onnx`): fed true when a pass has cached positions, as transformers.js does.
   */
  useCacheBranch: string | null;
  /**
   * An int64 input taking transformers' `logits_to_keep` (also spelled `num_logits_to_keep`; 0 = every
   * position), with the rank it declares (0 or 1).
   */
  logitsToKeep: { name: string; rank: number } | null;
  logits: string;
  logitsType: KvDtype;
  /** One entry per layer, in layer order. */
  kv: KvPair[];
  kvType: KvDtype;
  kvLayout: KvLayout;
  numKvHeads: number;
  headDim: number;
  /** Vocabulary size when the logits shape fixes it, else null (read from the first run). */
  vocabSize: number | null;
  /**
   * Outputs holding only this pass's new key / value columns (`new_key_values.{i}.key|value`, [batch,
   * heads, seq, dim], as @ssb/model exports), one pair per layer; null when the graph lacks them. A
   * DecoderSession may fill it in with values its loaded graph returns instead (see DecoderSession.open).
   */
  stepKv: { key: string; value: string }[] | null;
}

/** `new_key_values.{i}.key|value` for every layer, of the KV dtype, or null when any is missing. */
function stepKvOutputs(
  outputs: readonly ValueInfo[],
  layers: number,
  kvType: KvDtype,
): { key: string; value: string }[] | null {
  const byName = new Map(outputs.map((o) => [o.name, o]));
  const pairs: { key: string; value: string }[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const key = byName.get(decoderIo.newKey(layer));
    const value = byName.get(decoderIo.newValue(layer));
    if (!key || !value || key.type !== kvType || value.type !== kvType) return null;
    pairs.push({ key: key.name, value: value.name });
  }
  return pairs.length > 0 ? pairs : null;
}

/** Fallbacks for symbolic KV dims (from config.json beside the model). */
export interface KvShapeHints {
  numKvHeads?: number;
  headDim?: number;
}

const KV_NAME =
  /^(past|present)(?:[._]key_values|[._]kv|)?[._](?:(\d+)[._](key|value)|(key|value)[._](\d+))$/;

interface KvName {
  role: "past" | "present";
  layer: number;
  kind: "key" | "value";
}

/** `past_key_values.3.key`, `past.3.value`, `present.3.key`, `past_key_3`, `present_value_3`, ... */
export function parseKvName(name: string): KvName | null {
  const m = KV_NAME.exec(name);
  if (!m) return null;
  const layer = Number(m[2] ?? m[5]);
  const kind = (m[3] ?? m[4]) as "key" | "value";
  return { role: m[1] as "past" | "present", layer, kind };
}

function intType(info: ValueInfo | undefined, what: string, where: string): IntDtype {
  if (!info) return "int64";
  if (info.type === "int64" || info.type === "int32") return info.type;
  throw new RolloutError(
    `${where}: input "${info.name}" (${what}) must be int32 or int64, found ${info.type}`,
  );
}

function floatType(info: ValueInfo, where: string): KvDtype {
  if (info.type === "float32" || info.type === "float16") return info.type;
  throw new RolloutError(`${where}: "${info.name}" must be float32 or float16, found ${info.type}`);
}

const isSymbolic = (d: number | string | undefined): boolean => typeof d === "string" || d === -1;

const USE_CACHE_BRANCH = "use_cache_branch";
const LOGITS_TO_KEEP = ["logits_to_keep", "num_logits_to_keep"];

function logitsToKeepInput(info: ValueInfo | undefined, where: string): DecoderIo["logitsToKeep"] {
  if (!info) return null;
  if (info.type !== "int64" || info.shape.length > 1 || info.shape.some((d) => d !== 1 && !isSymbolic(d)))
    throw new RolloutError(
      `${where}: input "${info.name}" must be an int64 scalar or [1], found ${info.type} [${info.shape.join(", ")}]`,
    );
  return { name: info.name, rank: info.shape.length };
}

/** Read the decoder's I/O contract from session metadata; `where` names the model file in errors. */
export function describeDecoderIo(
  inputs: readonly ValueInfo[],
  outputs: readonly ValueInfo[],
  where: string,
  hints: KvShapeHints = {},
): DecoderIo {
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const ids = byName.get("input_ids");
  if (!ids) {
    const names = inputs.map((i) => i.name).join(", ");
    throw new RolloutError(
      `${where}: no "input_ids" input (inputs: ${names}); is this a decoder (not an embeddings-input) model?`,
    );
  }
  const mask = byName.get("attention_mask");
  const positions = byName.get("position_ids");
  const branch = byName.get(USE_CACHE_BRANCH);
  if (branch && branch.type !== "bool")
    throw new RolloutError(`${where}: input "${branch.name}" must be bool, found ${branch.type}`);
  const keep = logitsToKeepInput(
    inputs.find((i) => LOGITS_TO_KEEP.includes(i.name)),
    where,
  );
  const logits = outputs.find((o) => o.name === "logits");
  if (!logits)
    throw new RolloutError(
      `${where}: no "logits" output (outputs: ${outputs.map((o) => o.name).join(", ")})`,
    );

  const past = new Map<string, ValueInfo>();
  const present = new Map<string, ValueInfo>();
  for (const info of inputs) {
    const kv = parseKvName(info.name);
    if (kv?.role === "past") past.set(`${kv.layer}.${kv.kind}`, info);
  }
  for (const info of outputs) {
    const kv = parseKvName(info.name);
    if (kv?.role === "present") present.set(`${kv.layer}.${kv.kind}`, info);
  }
  // An input nobody feeds fails every run; say which, at load.
  const fed = new Set(["input_ids", "attention_mask", "position_ids", USE_CACHE_BRANCH, ...LOGITS_TO_KEEP]);
  const unknown = inputs.filter((i) => !fed.has(i.name) && parseKvName(i.name)?.role !== "past");
  if (unknown.length > 0) {
    throw new RolloutError(
      `${where}: no way to feed input${unknown.length > 1 ? "s" : ""} ${unknown.map((i) => `"${i.name}"`).join(", ")} (a decoder here takes input_ids, attention_mask, position_ids, past key/values, use_cache_branch and logits_to_keep)`,
    );
  }
  const layers = past.size / 2;
  if (past.size === 0) {
    throw new RolloutError(
      `${where}: no past key/value inputs; a decoder *with past* is needed (export with KV cache)`,
    );
  }
  const kv: KvPair[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const pk = past.get(`${layer}.key`);
    const pv = past.get(`${layer}.value`);
    const ok = present.get(`${layer}.key`);
    const ov = present.get(`${layer}.value`);
    if (!pk || !pv || !ok || !ov) {
      throw new RolloutError(
        `${where}: layer ${layer} lacks one of past key/value inputs and present key/value outputs (found ${past.size} past and ${present.size} present tensors)`,
      );
    }
    kv.push({ layer, pastKey: pk.name, pastValue: pv.name, presentKey: ok.name, presentValue: ov.name });
  }
  const first = past.get("0.key") as ValueInfo;
  const kvType = floatType(first, where);
  for (const info of [...past.values(), ...present.values()]) {
    if (floatType(info, where) !== kvType) {
      throw new RolloutError(`${where}: KV tensors mix ${kvType} and ${info.type} ("${info.name}")`);
    }
  }
  if (first.shape.length !== 4) {
    throw new RolloutError(`${where}: "${first.name}" must have 4 dims, found [${first.shape.join(", ")}]`);
  }
  // The sequence axis is the symbolic one among dims 1 and 2; heads and head size are fixed numbers.
  const d1 = first.shape[1];
  const d2 = first.shape[2];
  let kvLayout: KvLayout = "heads-first";
  if (!isSymbolic(d1) && isSymbolic(d2)) kvLayout = "heads-first";
  else if (isSymbolic(d1) && !isSymbolic(d2)) kvLayout = "seq-first";
  else if (isSymbolic(d1) && isSymbolic(d2)) {
    const s1 = String(d1);
    kvLayout = /seq|len|past|total/i.test(s1) ? "seq-first" : "heads-first";
  }
  const headsDim = kvLayout === "heads-first" ? d1 : d2;
  const numKvHeads = typeof headsDim === "number" && headsDim > 0 ? headsDim : hints.numKvHeads;
  const dimD = first.shape[3];
  const headDim = typeof dimD === "number" && dimD > 0 ? dimD : hints.headDim;
  if (numKvHeads === undefined || headDim === undefined) {
    throw new RolloutError(
      `${where}: KV shape [${first.shape.join(", ")}] leaves the KV head count or head size symbolic and no config.json gives it`,
    );
  }
  const v = logits.shape[logits.shape.length - 1];
  return {
    inputIds: ids.name,
    inputIdsType: intType(ids, "token ids", where),
    attentionMask: mask ? mask.name : null,
    attentionMaskType: intType(mask, "attention mask", where),
    positionIds: positions ? positions.name : null,
    positionIdsType: intType(positions, "position ids", where),
    useCacheBranch: branch ? branch.name : null,
    logitsToKeep: keep,
    logits: logits.name,
    logitsType: floatType(logits, where),
    kv,
    kvType,
    kvLayout,
    numKvHeads,
    headDim,
    vocabSize: typeof v === "number" && v > 0 ? v : null,
    stepKv: stepKvOutputs(outputs, layers, kvType),
  };
}
