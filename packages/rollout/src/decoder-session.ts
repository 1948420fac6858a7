/**
 * One ONNX decoder-with-past in onnxruntime-node, driven by plain arrays: token ids per row, how many
 * leading positions of each row are padding, and the batch's KV cache. Names, dtypes and the KV layout
 * come from the session's metadata (see decoder-io), so int32 / int64 ids and f32 / f16 KV all work.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { float16BitsToFloat32Array } from "@ssb/logit-store";
import * as ort from "onnxruntime-node";
import {
  type DecoderIo,
  describeDecoderIo,
  type IntDtype,
  type KvShapeHints,
  type ValueInfo,
} from "./decoder-io.js";
import { RolloutError } from "./errors.js";
import { type OpenedSession, openSession, type SessionSettings } from "./execution-provider.js";
import { allocKv, type KvArray, type KvBatch, type KvGeometry } from "./kv-batch.js";

export interface ForwardInput {
  /** rows × seq token ids, row-major. */
  tokenIds: ArrayLike<number>;
  rows: number;
  seq: number;
  /** Per row: leading padding positions of the whole (past + seq) sequence. */
  pads: ArrayLike<number>;
  past: KvBatch;
}

export interface ForwardOutput {
  /** rows × seq × vocab logits as float32. */
  logits: Float32Array;
  vocab: number;
  /** The KV after this step: past.length + seq positions. */
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

export class DecoderSession {
  readonly file: string;
  readonly io: DecoderIo;
  readonly geometry: KvGeometry;
  readonly executionProvider: OpenedSession["executionProvider"];
  private readonly session: ort.InferenceSession;
  private readonly outputNames: string[];

  private constructor(file: string, opened: OpenedSession, io: DecoderIo) {
    this.file = file;
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
  }

  /** Open a decoder; `modelPath` is a .onnx file or a folder holding one. */
  static async open(modelPath: string, settings: SessionSettings = {}): Promise<DecoderSession> {
    const file = resolveModelFile(modelPath);
    let opened: OpenedSession;
    try {
      opened = await openSession(file, settings);
    } catch (e) {
      if (e instanceof RolloutError) throw e;
      throw new RolloutError(
        `${file}: onnxruntime could not load the model (${e instanceof Error ? e.message : String(e)})`,
      );
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
    return new DecoderSession(file, opened, io);
  }

  emptyKv(rows: number): KvBatch {
    return allocKv(this.geometry, rows, 0);
  }

  /** One forward pass: new tokens for every row after the past KV. */
  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { rows, seq, past, pads } = input;
    const io = this.io;
    const total = past.length + seq;
    const feeds: Record<string, ort.Tensor> = {};
    feeds[io.inputIds] = intTensor(io.inputIdsType, input.tokenIds, [rows, seq]);
    if (io.attentionMask) {
      // Each row: its padding first (zeros), then real positions (ones).
      if (io.attentionMaskType === "int64") {
        const mask = new BigInt64Array(rows * total);
        for (let r = 0; r < rows; r++)
          mask.fill(1n, r * total + Math.min(pads[r] as number, total), (r + 1) * total);
        feeds[io.attentionMask] = new ort.Tensor("int64", mask, [rows, total]);
      } else {
        const mask = new Int32Array(rows * total);
        for (let r = 0; r < rows; r++)
          mask.fill(1, r * total + Math.min(pads[r] as number, total), (r + 1) * total);
        feeds[io.attentionMask] = new ort.Tensor("int32", mask, [rows, total]);
      }
    }
    if (io.positionIds) {
      // Real tokens count 0, 1, 2, ... from the row's first real position; pads get 0.
      const positions = new Array<number>(rows * seq);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < seq; j++)
          positions[r * seq + j] = Math.max(0, past.length + j - (pads[r] as number));
      }
      feeds[io.positionIds] = intTensor(io.positionIdsType, positions, [rows, seq]);
    }
    const g = this.geometry;
    const kvDims =
      g.layout === "heads-first"
        ? [rows, g.heads, past.length, g.headDim]
        : [rows, past.length, g.heads, g.headDim];
    io.kv.forEach((p, i) => {
      feeds[p.pastKey] = new ort.Tensor(g.dtype, past.arrays[2 * i] as KvArray, kvDims);
      feeds[p.pastValue] = new ort.Tensor(g.dtype, past.arrays[2 * i + 1] as KvArray, kvDims);
    });
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      throw new RolloutError(
        `${this.file}: forward pass failed for batch ${rows} x ${seq} after ${past.length} cached positions (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    const logitsTensor = out[io.logits] as ort.Tensor;
    const vocab = logitsTensor.dims[logitsTensor.dims.length - 1] as number;
    const rawLogits = logitsTensor.data;
    const logits =
      rawLogits instanceof Float32Array ? rawLogits : float16BitsToFloat32Array(rawLogits as Uint16Array);
    if (logits.length !== rows * seq * vocab) {
      // Some exports return only the last position's logits; callers here need every position.
      throw new RolloutError(
        `${this.file}: logits have shape [${logitsTensor.dims.join(", ")}], expected [${rows}, ${seq}, vocab]`,
      );
    }
    const arrays: KvArray[] = [];
    for (const p of io.kv) {
      arrays.push(
        (out[p.presentKey] as ort.Tensor).data as KvArray,
        (out[p.presentValue] as ort.Tensor).data as KvArray,
      );
    }
    return { logits, vocab, present: { rows, length: total, arrays } };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
