/**
 * One ONNX decoder-with-past in onnxruntime-node, driven by plain arrays: token ids per row, how many
 * leading positions of each row are padding, and the batch's KV cache. Names, dtypes and the KV layout
 * come from the session's metadata (see decoder-io), so int32 / int64 ids and f32 / f16 KV all work.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { float16BitsToFloat32Array } from "@ssb/logit-store";
import { editOnnxGraph, decoderIo as exportedIo } from "@ssb/model";
import * as ort from "onnxruntime-node";
import {
  type DecoderIo,
  describeDecoderIo,
  type IntDtype,
  type KvShapeHints,
  type ValueInfo,
} from "./decoder-io.js";
import { RolloutError } from "./errors.js";
import {
  type ModelSource,
  type OpenedSession,
  openSession,
  type SessionSettings,
  warnerOf,
} from "./execution-provider.js";
import {
  allocKv,
  gatherKv,
  type KvArray,
  type KvBatch,
  type KvGeometry,
  type KvRowSource,
  kvHeadroom,
  withCapacity,
} from "./kv-batch.js";

export interface DecoderOptions extends SessionSettings {
  /**
   * Append each pass's new KV columns in place when the graph returns them (`new_key_values.*`; default
   * true). false fetches the whole `present.*` cache every pass, as for graphs without those outputs.
   */
  appendKvInPlace?: boolean;
}

export interface ForwardInput {
  /** rows × seq token ids, row-major. */
  tokenIds: ArrayLike<number>;
  rows: number;
  seq: number;
  /** Per row: leading padding positions of the whole (past + seq) sequence. */
  pads: ArrayLike<number>;
  past: KvBatch;
  /**
   * Only the last position's logits are needed (a prompt being continued, not scored): the session then
   * skips the LM head at the other positions where the model allows it ({@link DecoderSession.keepsLastLogits}).
   */
  lastLogitsOnly?: boolean;
}

export interface ForwardOutput {
  /** rows × positions × vocab logits as float32. */
  logits: Float32Array;
  /** Logit positions per row: seq, or 1 when only the last was asked for and the model could skip the rest. */
  positions: number;
  vocab: number;
  /**
   * The KV after this step: past.length + seq positions. When the session appends in place
   * ({@link DecoderSession.appendsInPlace}) it shares its arrays with `past` (the new columns are written
   * after past.length), so continue from `present` only, never run two passes from the same `past`.
   */
  present: KvBatch;
}

/** Resolve a model path: a .onnx file, or a folder holding model.onnx / decoder_model_merged.onnx / decoder.onnx. */
export function resolveModelFile(modelPath: string): string {
  if (!existsSync(modelPath)) throw new RolloutError(`${modelPath}: no such model file or folder`);
  if (statSync(modelPath).isFile()) return modelPath;
  for (const name of [
    "model.onnx",
    "decoder_model_merged.onnx",
    "decoder_with_past_model.onnx",
    "decoder.onnx",
  ]) {
    const file = path.join(modelPath, name);
    if (existsSync(file)) return file;
  }
  for (const sub of ["onnx"]) {
    const file = path.join(modelPath, sub, "model.onnx");
    if (existsSync(file)) return file;
  }
  throw new RolloutError(
    `${modelPath}: no model.onnx (or decoder_model_merged.onnx, decoder.onnx) in this folder`,
  );
}

/** KV head count and head size from config.json beside the model, for exports with symbolic KV dims. */
function configHints(dir: string): KvShapeHints {
  const file = path.join(dir, "config.json");
  if (!existsSync(file)) return {};
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const heads = typeof c.num_attention_heads === "number" ? c.num_attention_heads : undefined;
    const kv = typeof c.num_key_value_heads === "number" ? c.num_key_value_heads : heads;
    const hidden = typeof c.hidden_size === "number" ? c.hidden_size : undefined;
    const headDim =
      typeof c.head_dim === "number" ? c.head_dim : heads && hidden ? Math.floor(hidden / heads) : undefined;
    const hints: KvShapeHints = {};
    if (kv !== undefined) hints.numKvHeads = kv;
    if (headDim !== undefined) hints.headDim = headDim;
    return hints;
  } catch {
    return {};
  }
}

function intTensor(type: IntDtype, values: ArrayLike<number>, dims: number[]): ort.Tensor {
  if (type === "int32") return new ort.Tensor("int32", Int32Array.from(values), dims);
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i] as number);
  return new ort.Tensor("int64", data, dims);
}

/** In-place appends need the new columns as outputs and a cache whose positions are the third axis. */
function appendsInPlace(io: DecoderIo): boolean {
  return io.stepKv !== null && io.kvLayout === "heads-first";
}

/** onnxruntime's load error as a RolloutError naming the file (provider errors already are one). */
function explain(e: unknown, file: string): RolloutError {
  if (e instanceof RolloutError) return e;
  return new RolloutError(
    `${file}: onnxruntime could not load the model (${e instanceof Error ? e.message : String(e)})`,
  );
}

async function openOrExplain(
  source: ModelSource,
  file: string,
  settings: DecoderOptions,
): Promise<OpenedSession> {
  try {
    return await openSession(source, settings);
  } catch (e) {
    throw explain(e, file);
  }
}

export class DecoderSession {
  readonly file: string;
  readonly io: DecoderIo;
  readonly geometry: KvGeometry;
  readonly executionProvider: OpenedSession["executionProvider"];
  /**
   * True when the graph returns each pass's new KV columns (`new_key_values.*`): then the cache keeps
   * spare columns, the model sees them masked out, only the new columns are fetched and written in place.
   * onnxruntime-node copies every fetched output into JavaScript memory, so fetching the whole present
   * cache each step cost more than the model's matrix products at 128 rows (README).
   */
  readonly appendsInPlace: boolean;
  /**
   * Graph nodes left out of the loaded session because only `present.*` needed them (see open); 0 when the
   * model was loaded as is.
   */
  readonly prunedNodes: number;
  /** Prompts that are only continued get their last position's logits alone (see ForwardInput). */
  readonly keepsLastLogits: boolean;
  private readonly keepInput: string | null;
  private readonly session: ort.InferenceSession;
  private readonly outputNames: string[];
  private readonly stepOutputNames: string[];

  private constructor(
    file: string,
    opened: OpenedSession,
    io: DecoderIo,
    inPlace: boolean,
    keepInput: string | null,
    prunedNodes: number,
  ) {
    this.file = file;
    this.prunedNodes = prunedNodes;
    this.keepInput = keepInput;
    this.keepsLastLogits = keepInput !== null;
    this.session = opened.session;
    this.executionProvider = opened.executionProvider;
    this.io = io;
    const names: string[] = [];
    for (const p of io.kv) names.push(p.pastKey, p.pastValue);
    this.geometry = {
      layout: io.kvLayout,
      heads: io.numKvHeads,
      headDim: io.headDim,
      dtype: io.kvType,
      names,
    };
    this.outputNames = [io.logits];
    for (const p of io.kv) this.outputNames.push(p.presentKey, p.presentValue);
    this.stepOutputNames = [io.logits];
    for (const p of io.stepKv ?? []) this.stepOutputNames.push(p.key, p.value);
    this.appendsInPlace = inPlace;
  }

  /**
   * Open a decoder; `modelPath` is a .onnx file or a folder holding one. The file is read once and loaded
   * edited for this engine (`editOnnxGraph`; the file is not changed): `logits_to_keep`, where the export
   * holds it as a constant (ours do), becomes an input, so a prompt that is only continued gets the LM head
   * at its last position; and when the session appends in place, `present.*` is dropped if that removes
   * nodes (onnxruntime computes every output of the graph it loads, fetched or not; none in @ssb/model's
   * graphs, whose attention reads the concatenated cache). If the edited graph does not load, the session
   * warns and loads the file as it is.
   */
  static async open(modelPath: string, settings: DecoderOptions = {}): Promise<DecoderSession> {
    const file = resolveModelFile(modelPath);
    const original = await readFile(file);
    const source = (bytes: Uint8Array): ModelSource => ({ bytes, dir: path.dirname(file) });
    const promoted = editOnnxGraph(
      original,
      { initializersToInputs: new Set([exportedIo.logitsToKeep]) },
      file,
    );
    let keepInput = promoted.newInputs.includes(exportedIo.logitsToKeep) ? exportedIo.logitsToKeep : null;
    let bytes = promoted.bytes;
    let opened: OpenedSession;
    try {
      opened = await openSession(source(bytes), settings);
    } catch (e) {
      // A provider that cannot start, or a file onnxruntime cannot read, fails as such; an edit it rejects
      // falls back to the file as it is.
      if (e instanceof RolloutError || keepInput === null) throw explain(e, file);
      warnerOf(settings)(
        `warning: ${file}: the graph edited for this engine did not load (${e instanceof Error ? e.message : String(e)}); using it as it is`,
      );
      keepInput = null;
      bytes = original;
      opened = await openOrExplain(source(bytes), file, settings);
    }
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] =>
      list.map((m) =>
        m.isTensor
          ? { name: m.name, type: m.type, shape: m.shape }
          : { name: m.name, type: "non-tensor", shape: [] },
      );
    const io = describeDecoderIo(
      meta(opened.session.inputMetadata),
      meta(opened.session.outputMetadata),
      file,
      configHints(path.dirname(file)),
    );
    const inPlace = (settings.appendKvInPlace ?? true) && appendsInPlace(io);
    let prunedNodes = 0;
    if (inPlace) {
      const present = new Set(io.kv.flatMap((p) => [p.presentKey, p.presentValue]));
      const pruned = editOnnxGraph(bytes, { dropOutputs: present }, file);
      if (pruned.removedNodes > 0) {
        const same = { ...settings, executionProvider: opened.executionProvider };
        await opened.session.release();
        opened = await openOrExplain(source(pruned.bytes), file, same);
        prunedNodes = pruned.removedNodes;
      }
    }
    return new DecoderSession(file, opened, io, inPlace, keepInput, prunedNodes);
  }

  /**
   * An empty cache for `rows` rows. `room`: positions the caller is about to fill (a prompt); allocated up
   * front when this session appends in place, so no pass has to regrow the cache.
   */
  emptyKv(rows: number, room = 0): KvBatch {
    return allocKv(this.geometry, rows, 0, this.appendsInPlace ? room : 0);
  }

  /**
   * A new batch of the given rows (see gatherKv); when this session appends in place, with spare columns
   * for the decode steps ahead.
   */
  gather(sources: readonly KvRowSource[]): KvBatch {
    const longest = sources.reduce((m, s) => Math.max(m, s.len), 0);
    return gatherKv(this.geometry, sources, 0, this.appendsInPlace ? kvHeadroom(longest) : 0);
  }

  /** One forward pass: new tokens for every row after the past KV. */
  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { rows, seq, pads } = input;
    const io = this.io;
    const g = this.geometry;
    const inPlace = this.appendsInPlace;
    let past = input.past;
    const length = past.length;
    if (inPlace && past.capacity < length + seq) {
      past = withCapacity(g, past, length + seq + kvHeadroom(length + seq));
    } else if (!inPlace && past.capacity !== length) {
      const all = Array.from({ length: rows }, (_, row) => ({ from: past, row, len: length }));
      past = gatherKv(g, all, length);
    }
    // The model sees `columns` past positions: the used ones, then (in place) spare ones masked out. An
    // empty cache is fed as empty (GroupQueryAttention refuses a multi-row prompt after any past columns).
    const columns = inPlace && length > 0 ? past.capacity : length;
    const width = columns + seq;
    const feeds: Record<string, ort.Tensor> = {};
    feeds[io.inputIds] = intTensor(io.inputIdsType, input.tokenIds, [rows, seq]);
    if (io.attentionMask) {
      // Each row: its padding (zeros; it may reach into the new tokens during a chunked prefill), real
      // cached positions (ones), spare columns (zeros), the new tokens (ones).
      const ones: [number, number][] = [];
      for (let r = 0; r < rows; r++) {
        const at = r * width;
        const pad = pads[r] as number;
        ones.push([at + Math.min(pad, length), at + length]);
        ones.push([at + columns + Math.min(Math.max(0, pad - length), seq), at + width]);
      }
      if (io.attentionMaskType === "int64") {
        const mask = new BigInt64Array(rows * width);
        for (const [from, to] of ones) mask.fill(1n, from, to);
        feeds[io.attentionMask] = new ort.Tensor("int64", mask, [rows, width]);
      } else {
        const mask = new Int32Array(rows * width);
        for (const [from, to] of ones) mask.fill(1, from, to);
        feeds[io.attentionMask] = new ort.Tensor("int32", mask, [rows, width]);
      }
    }
    if (io.positionIds) {
      // Real tokens count 0, 1, 2, ... from the row's first real position; pads get 0.
      const positions = new Array<number>(rows * seq);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < seq; j++) positions[r * seq + j] = Math.max(0, length + j - (pads[r] as number));
      }
      feeds[io.positionIds] = intTensor(io.positionIdsType, positions, [rows, seq]);
    }
    const kvDims =
      g.layout === "heads-first" ? [rows, g.heads, columns, g.headDim] : [rows, columns, g.heads, g.headDim];
    const fed = (a: number): KvArray => {
      const array = past.arrays[a] as KvArray;
      return columns === past.capacity ? array : array.subarray(0, 0); // columns is 0 or the capacity
    };
    io.kv.forEach((p, i) => {
      feeds[p.pastKey] = new ort.Tensor(g.dtype, fed(2 * i), kvDims);
      feeds[p.pastValue] = new ort.Tensor(g.dtype, fed(2 * i + 1), kvDims);
    });
    const positions = this.keepInput && input.lastLogitsOnly ? 1 : seq;
    if (this.keepInput) {
      // logits_to_keep: 0 = every position.
      feeds[this.keepInput] = new ort.Tensor("int64", BigInt64Array.of(positions === seq ? 0n : 1n), [1]);
    }
    let out: ort.InferenceSession.ReturnType;
    try {
      out = inPlace ? await this.session.run(feeds, this.stepOutputNames) : await this.session.run(feeds);
    } catch (e) {
      throw new RolloutError(
        `${this.file}: forward pass failed for batch ${rows} x ${seq} after ${length} cached positions (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    const logitsTensor = out[io.logits] as ort.Tensor;
    const vocab = logitsTensor.dims[logitsTensor.dims.length - 1] as number;
    const rawLogits = logitsTensor.data;
    const logits =
      rawLogits instanceof Float32Array ? rawLogits : float16BitsToFloat32Array(rawLogits as Uint16Array);
    if (logits.length !== rows * positions * vocab) {
      // Some exports return only the last position's logits; callers here need every position.
      throw new RolloutError(
        `${this.file}: logits have shape [${logitsTensor.dims.join(", ")}], expected [${rows}, ${positions}, vocab]`,
      );
    }
    if (inPlace) {
      // new_key_values.* are [rows, heads, seq, dim]: each (row, head) block goes to columns length.. of the cache.
      const block = seq * g.headDim;
      (io.stepKv ?? []).forEach((p, i) => {
        for (const [a, name] of [
          [2 * i, p.key],
          [2 * i + 1, p.value],
        ] as const) {
          const step = (out[name] as ort.Tensor).data as KvArray;
          if (step.length !== rows * g.heads * block) {
            throw new RolloutError(
              `${this.file}: "${name}" has shape [${(out[name] as ort.Tensor).dims.join(", ")}], expected [${rows}, ${g.heads}, ${seq}, ${g.headDim}] (use appendKvInPlace: false for this model)`,
            );
          }
          const dst = past.arrays[a] as KvArray;
          for (let rh = 0; rh < rows * g.heads; rh++) {
            dst.set(step.subarray(rh * block, (rh + 1) * block), (rh * past.capacity + length) * g.headDim);
          }
        }
      });
      return { logits, positions, vocab, present: { ...past, length: length + seq } };
    }
    const arrays: KvArray[] = [];
    for (const p of io.kv) {
      arrays.push(
        (out[p.presentKey] as ort.Tensor).data as KvArray,
        (out[p.presentValue] as ort.Tensor).data as KvArray,
      );
    }
    const total = length + seq;
    return { logits, positions, vocab, present: { rows, length: total, capacity: total, arrays } };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
