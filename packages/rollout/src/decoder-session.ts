/**
 * One ONNX decoder-with-past in onnxruntime-node, driven by plain arrays: token ids per row, how many
 * leading positions of each row are padding, and the batch's KV cache. Names, dtypes and the KV layout
 * come from the session's metadata (see decoder-io), so int32 / int64 ids and f32 / f16 KV all work.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { float16BitsToFloat32Array } from "@ssb/logit-store";
import { readGraphSignature } from "@ssb/model";
import * as ort from "onnxruntime-node";
import { type DecoderIo, describeDecoderIo, type IntDtype } from "./decoder-io.js";
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
  copyBlocks,
  gatherKv,
  type KvArray,
  type KvBatch,
  type KvGeometry,
  kvHeadroom,
  withCapacity,
} from "./kv-batch.js";
import {
  type DeviceKvBatch,
  DeviceKvGatherer,
  gatherHost,
  isDeviceKv,
  releaseKv,
  type SessionKv,
  type SessionKvSource,
} from "./kv-device.js";
import {
  appendsInPlace,
  editedGraph,
  type LoadedEdits,
  type LoadedGraph,
  LSE_OUTPUT,
  LSE_ROWS,
  planLoadedGraph,
  signatureValue,
  TOP_IDS,
  TOP_K_INPUT,
  TOP_VALUES,
  UNEDITED,
} from "./loaded-graph.js";
import { configHints, modelFolder, resolveModelFile } from "./model-files.js";
import type { BatchTop } from "./top-k-selector.js";

export interface DecoderOptions extends SessionSettings {
  /**
   * Append each pass's new KV columns in place when the graph returns them (`new_key_values.*`; default
   * true). false fetches the whole `present.*` cache every pass, as for graphs without those outputs.
   */
  appendKvInPlace?: boolean;
  /**
   * On the CPU provider, load the graph with attention split into past and new columns, a TopK over the
   * logits, the logits taken from the LM head itself and a log-sum-exp over chosen rows (default true; see
   * DecoderSession.open). false loads it without those edits.
   */
  cpuGraphEdits?: boolean;
  /**
   * Keep the KV cache in onnxruntime tensors on the provider (each pass's `present.*` fed back as the next
   * pass's past, slot refills gathered by a small graph on the same provider) instead of host arrays that
   * go to the device every pass. Default: on WebGPU, where the outputs then stay on the GPU. On the CPU it
   * runs the same path in host memory (what the tests check it by); it is slower there than appending in
   * place. Not used on CUDA, where onnxruntime-node's output placement was never tried (no CUDA provider
   * library could be had).
   */
  kvOnDevice?: boolean;
}

export interface ForwardInput {
  /** rows × seq token ids, row-major. */
  tokenIds: ArrayLike<number>;
  rows: number;
  seq: number;
  /** Per row: leading padding positions of the whole (past + seq) sequence. */
  pads: ArrayLike<number>;
  past: SessionKv;
  /**
   * Only the last position's logits are needed (a prompt being continued, not scored): the session then
   * skips the LM head at the other positions where the model allows it ({@link DecoderSession.keepsLastLogits}).
   */
  lastLogitsOnly?: boolean;
  /**
   * Also return the `topK` largest logits of every position (highest first, ties by lower id), computed
   * by a TopK node in the loaded graph; needs {@link DecoderSession.topKInGraph}.
   */
  topK?: number;
  /** Fetch the logits (default true); false needs `topK`, whose lists are then all the pass returns. */
  fetchLogits?: boolean;
  /**
   * Logit rows (row x positions + position) whose full-vocabulary log-sum-exp the pass should return,
   * computed in the loaded graph; needs {@link DecoderSession.logSumExpInGraph}.
   */
  logSumExpRows?: readonly number[];
}

export interface ForwardOutput {
  /** rows × positions × vocab logits as float32; null when the pass was asked not to fetch them. */
  logits: Float32Array | null;
  /** With ForwardInput.topK: one list per (row, position), row-major; else null. */
  top: BatchTop | null;
  /** With ForwardInput.logSumExpRows: their log-sum-exp, in that order (float32); else null. */
  logSumExp: Float32Array | null;
  /** Logit positions per row: seq, or 1 when only the last was asked for and the model could skip the rest. */
  positions: number;
  vocab: number;
  /**
   * The KV after this step: past.length + seq positions. When the session appends in place
   * ({@link DecoderSession.appendsInPlace}) it shares its arrays with `past` (the new columns are written
   * after past.length), so continue from `present` only, never run two passes from the same `past`. On
   * the device ({@link DecoderSession.kvOnDevice}) it is a new batch, and `past` stays the caller's to
   * release.
   */
  present: SessionKv;
}

function intTensor(type: IntDtype, values: ArrayLike<number>, dims: number[]): ort.Tensor {
  if (type === "int32") return new ort.Tensor("int32", Int32Array.from(values), dims);
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i] as number);
  return new ort.Tensor("int64", data, dims);
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

type OutputLocation = ort.InferenceSession.SessionOptions["preferredOutputLocation"];

/** Where a session keeps the KV cache unless told (DecoderOptions.kvOnDevice): on the device for WebGPU. */
export function defaultKvOnDevice(ep: DecoderOptions["executionProvider"]): boolean {
  return ep === "webgpu";
}

/**
 * Where a provider should leave the cache outputs (`names`, or every output): on the GPU under WebGPU.
 * Elsewhere they come back to host memory as any output does.
 */
function onProvider(ep: OpenedSession["executionProvider"], names?: readonly string[]): OutputLocation {
  if (ep !== "webgpu") return undefined;
  if (!names) return "gpu-buffer";
  return Object.fromEntries(names.map((n) => [n, "gpu-buffer" as const]));
}

export class DecoderSession {
  readonly file: string;
  readonly io: DecoderIo;
  readonly geometry: KvGeometry;
  readonly executionProvider: OpenedSession["executionProvider"];
  /**
   * True when the graph returns each pass's new KV columns (`new_key_values.*`, or in the loaded graph the
   * new columns its `present` concatenation appends; `io.stepKv` names them): then the cache keeps
   * spare columns, the model sees them masked out, only the new columns are fetched and written in place.
   * onnxruntime-node copies every fetched output into JavaScript memory, so fetching the whole present
   * cache each step cost more than the model's matrix products at 128 rows (README).
   */
  readonly appendsInPlace: boolean;
  /** The cache stays in onnxruntime tensors on the provider (see DecoderOptions.kvOnDevice). */
  readonly kvOnDevice: boolean;
  /**
   * Nodes of the file's graph not in the loaded one: those only `present.*` needed, and the attention
   * products the split replaced (see open). 0 when loaded as in the file.
   */
  readonly prunedNodes: number;
  /**
   * Layers whose attention, in the loaded graph, reads the past cache and the new columns separately
   * instead of their concatenation (CPU, appending in place; see open). 0 when loaded as in the file.
   */
  readonly splitAttentionLayers: number;
  /** Prompts that are only continued get their last position's logits alone (see ForwardInput). */
  readonly keepsLastLogits: boolean;
  /** The loaded graph ends in a TopK over the logits (ForwardInput.topK; CPU, float32 logits). */
  readonly topKInGraph: boolean;
  /**
   * The output the logits are fetched from: `io.logits`, or on CPU, where the file's logits only relabel
   * the LM head's Gemm result ([rows x positions, vocab], the same values in the same order), that result
   * itself (see open).
   */
  readonly logitsOutput: string;
  /**
   * The loaded graph can return chosen logit rows' full-vocabulary log-sum-exp (ForwardInput.logSumExpRows;
   * CPU, where the logits come straight from the LM head): a capture then needs no logits fetched and no
   * exp per logit in JavaScript (128 rows x 32k logits: ~70 ms a step there, ~12 ms in onnxruntime).
   */
  readonly logSumExpInGraph: boolean;
  /**
   * Whether a pass of several tokens per row may follow cached positions when the batch has several rows.
   * onnxruntime's GroupQueryAttention (the contrib export, ORT GenAI's) refuses that on CPU ("batch_size must
   * be 1 when sequence_length > 1 and past context is given"), so a chunked prefill there goes by row groups.
   */
  readonly multiRowChunks: boolean;
  /** The input taking `logits_to_keep`: the file's own, or the one the loaded graph made of our constant. */
  private readonly keepInput: { name: string; rank: number } | null;
  private readonly session: ort.InferenceSession;
  private readonly gatherer: DeviceKvGatherer | null;
  /** Device batches handed out and not yet released. */
  private readonly live = new Set<DeviceKvBatch>();

  private constructor(
    file: string,
    opened: OpenedSession,
    io: DecoderIo,
    inPlace: boolean,
    edits: LoadedEdits,
    multiRowChunks: boolean,
    settings: DecoderOptions,
    onDevice: boolean,
  ) {
    this.file = file;
    this.multiRowChunks = multiRowChunks;
    this.prunedNodes = edits.prunedNodes;
    this.splitAttentionLayers = edits.splitAttentionLayers;
    this.keepInput = io.logitsToKeep ?? (edits.keepInput ? { name: edits.keepInput, rank: 1 } : null);
    this.keepsLastLogits = this.keepInput !== null;
    this.topKInGraph = edits.topKInGraph;
    this.logitsOutput = edits.logitsOutput ?? io.logits;
    this.logSumExpInGraph = edits.logSumExpInGraph;
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
    this.appendsInPlace = inPlace;
    this.kvOnDevice = onDevice;
    const ep = opened.executionProvider;
    this.gatherer = onDevice
      ? new DeviceKvGatherer(this.geometry, (model) =>
          openSession(
            { dir: path.dirname(file), bytes: model, outputLocation: onProvider },
            {
              ...settings,
              executionProvider: ep,
            },
          ).then((s) => s.session),
        )
      : null;
  }

  /**
   * Open a decoder; `modelPath` is a .onnx file or a folder holding one. The file is read once, its I/O
   * contract read from the graph, and the graph loaded edited for this engine (`editOnnxGraph`; the file is
   * not changed):
   *  - `logits_to_keep`, where the export holds it as a constant (ours do), becomes an input, so a prompt
   *    that is only continued gets the LM head at its last position;
   *  - where the file returns no `new_key_values.*` but builds each `present` as `Concat(past, new)` (as
   *    Optimum's exports do) and takes `position_ids`, those new columns become outputs, so such a model
   *    appends in place too;
   *  - when the session appends in place, `present.*` is dropped (with the nodes only it needed);
   *  - on the CPU provider also: attention that reads the concatenation of past and new columns reads them
   *    separately (the concatenation, a copy of the whole cache per layer and step, then goes with
   *    `present.*`); a TopK over the logits is appended, so a decode step can fetch each row's top list
   *    instead of its logits; where the file's logits only relabel the LM head's Gemm, that result is the
   *    output instead (no copy), and a log-sum-exp over chosen rows of it is appended, so a capture needs
   *    no logits either. These are measured on CPU only (README); other providers load the graph without
   *    them (the split form crashed onnxruntime's WebGPU provider on an empty past).
   * If the edited graph does not load, the session warns and loads the file as it is.
   */
  static async open(modelPath: string, settings: DecoderOptions = {}): Promise<DecoderSession> {
    const file = resolveModelFile(modelPath);
    const dir = path.dirname(file);
    const original = await readFile(file);
    const signature = readGraphSignature(original, file);
    const fileIo = describeDecoderIo(
      signature.inputs.map(signatureValue),
      signature.outputs.map(signatureValue),
      file,
      configHints(modelFolder(file)),
    );
    const onDevice = settings.kvOnDevice ?? defaultKvOnDevice(settings.executionProvider);
    // On the device the cache grows by the graph's own concatenation: the loaded graph keeps `present.*`.
    const plan = planLoadedGraph(original, signature.opset, fileIo, file, {
      ...settings,
      ...(onDevice ? { appendKvInPlace: false } : {}),
    });
    const present = fileIo.kv.flatMap((p) => [p.presentKey, p.presentValue]);
    type Edited = LoadedGraph & { ep: OpenedSession["executionProvider"] };
    const editFor = (ep: OpenedSession["executionProvider"]): Edited => ({
      ep,
      ...editedGraph(plan, ep === "cpu" && (settings.cpuGraphEdits ?? true)),
    });
    // The graph edited for the provider being tried (openSession may try CUDA, then CPU); one copy at a time.
    const tried: { edited: Edited | null } = { edited: null };
    const source: ModelSource = {
      dir,
      bytes: (ep) => {
        if (tried.edited?.ep !== ep) tried.edited = editFor(ep);
        return tried.edited.bytes;
      },
      ...(onDevice ? { outputLocation: (ep) => onProvider(ep, present) } : {}),
    };
    let opened: OpenedSession;
    let edits: LoadedEdits;
    let loadedIo = plan.io;
    try {
      opened = await openSession(source, settings);
      edits = tried.edited?.edits ?? UNEDITED; // the provider that opened was the last one tried
    } catch (e) {
      // A provider that cannot start, or a file onnxruntime cannot read, fails as such; an edit it rejects
      // falls back to the file as it is.
      const wasEdited = tried.edited !== null && tried.edited.bytes !== original;
      if (e instanceof RolloutError || !wasEdited) throw explain(e, file);
      warnerOf(settings)(
        `warning: ${file}: the graph edited for this engine did not load (${e instanceof Error ? e.message : String(e)}); using it as it is`,
      );
      tried.edited = null;
      opened = await openOrExplain(
        { dir, bytes: original, ...(source.outputLocation ? { outputLocation: source.outputLocation } : {}) },
        file,
        settings,
      );
      edits = UNEDITED;
      loadedIo = fileIo; // as the file has it: without any new-column outputs found above
    }
    const multiRowChunks = !signature.opTypes.includes("GroupQueryAttention");
    const inPlace = plan.wantInPlace && appendsInPlace(loadedIo);
    return new DecoderSession(file, opened, loadedIo, inPlace, edits, multiRowChunks, settings, onDevice);
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
  async gather(sources: readonly SessionKvSource[]): Promise<SessionKv> {
    if (this.gatherer) {
      const batch = await this.gatherer.gather(sources);
      this.live.add(batch);
      return batch;
    }
    const longest = sources.reduce((m, s) => Math.max(m, s.len), 0);
    return gatherHost(this.geometry, sources, this.appendsInPlace ? kvHeadroom(longest) : 0);
  }

  /**
   * Free a batch no row reads from any more: device tensors hold provider memory until released (a host
   * batch is left to the garbage collector). The batch must not be used after.
   */
  release(kv: SessionKv): void {
    releaseKv(kv);
    if (isDeviceKv(kv)) this.live.delete(kv);
  }

  /** Device batches this session handed out that were not released yet (0 when its callers are done). */
  get liveDeviceBatches(): number {
    return this.live.size;
  }

  /** One forward pass: new tokens for every row after the past KV. */
  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { rows, seq, pads } = input;
    const io = this.io;
    const g = this.geometry;
    const inPlace = this.appendsInPlace;
    const given = input.past;
    const length = given.length;
    if (isDeviceKv(given) && !this.kvOnDevice)
      throw new RolloutError(
        `${this.file}: forward: a device cache given to a session that keeps it on the host`,
      );
    let past: KvBatch | DeviceKvBatch = given;
    if (isDeviceKv(given)) {
      if (given.tensors.length !== g.names.length)
        throw new RolloutError(`${this.file}: forward: the past cache was already released`);
    } else if (inPlace && given.capacity < length + seq) {
      past = withCapacity(g, given, length + seq + kvHeadroom(length + seq));
    } else if (!inPlace && given.capacity !== length) {
      const all = Array.from({ length: rows }, (_, row) => ({ from: given, row, len: length }));
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
    const cache = past; // a const, for the closures below
    const fed = isDeviceKv(cache)
      ? (a: number): ort.Tensor => cache.tensors[a] as ort.Tensor
      : (a: number): ort.Tensor => {
          const array = cache.arrays[a] as KvArray;
          // columns is 0 or the capacity
          return new ort.Tensor(g.dtype, columns === cache.capacity ? array : array.subarray(0, 0), kvDims);
        };
    io.kv.forEach((p, i) => {
      feeds[p.pastKey] = fed(2 * i);
      feeds[p.pastValue] = fed(2 * i + 1);
    });
    const positions = this.keepInput && input.lastLogitsOnly ? 1 : seq;
    if (this.keepInput) {
      // logits_to_keep: 0 = every position.
      const dims = this.keepInput.rank === 0 ? [] : [1];
      feeds[this.keepInput.name] = intTensor("int64", [positions === seq ? 0 : 1], dims);
    }
    if (io.useCacheBranch)
      feeds[io.useCacheBranch] = new ort.Tensor("bool", Uint8Array.of(columns > 0 ? 1 : 0), [1]);
    const fetchLogits = input.fetchLogits ?? true;
    const k = input.topK;
    if (k !== undefined) {
      if (!this.topKInGraph)
        throw new RolloutError(`${this.file}: topK needs a graph loaded with its TopK (topKInGraph)`);
      if (!(Number.isInteger(k) && k >= 1 && k <= (io.vocabSize as number)))
        throw new RolloutError(`topK must be an integer in [1, ${io.vocabSize}], found ${k}`);
    } else if (!fetchLogits) throw new RolloutError("forward: fetchLogits false needs topK");
    // The appended TopK runs on every pass: 1 is its cheapest k when nobody reads the lists.
    if (this.topKInGraph) feeds[TOP_K_INPUT] = intTensor("int64", [k ?? 1], [1]);
    const lseRows = input.logSumExpRows ?? [];
    if (lseRows.length > 0 && !this.logSumExpInGraph)
      throw new RolloutError(`${this.file}: logSumExpRows needs a graph loaded with its log-sum-exp`);
    // Fed on every pass (empty: the Gather and the reduction then run on nothing).
    if (this.logSumExpInGraph) feeds[LSE_ROWS] = intTensor("int64", lseRows, [lseRows.length]);
    const fetch: string[] = [];
    if (fetchLogits) fetch.push(this.logitsOutput);
    if (k !== undefined) fetch.push(TOP_VALUES, TOP_IDS);
    if (lseRows.length > 0) fetch.push(LSE_OUTPUT);
    for (const p of inPlace ? (io.stepKv ?? []) : []) fetch.push(p.key, p.value);
    if (!inPlace) for (const p of io.kv) fetch.push(p.presentKey, p.presentValue);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds, fetch);
    } catch (e) {
      throw new RolloutError(
        `${this.file}: forward pass failed for batch ${rows} x ${seq} after ${length} cached positions (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    const logits = fetchLogits ? this.logitsOf(out, rows, positions) : null;
    const vocab = logits ? logits.length / (rows * positions) : (io.vocabSize as number);
    const logSumExp = lseRows.length > 0 ? ((out[LSE_OUTPUT] as ort.Tensor).data as Float32Array) : null;
    const top: BatchTop | null =
      k === undefined
        ? null
        : {
            rows: rows * positions,
            k,
            values: (out[TOP_VALUES] as ort.Tensor).data as Float32Array,
            ids: (out[TOP_IDS] as ort.Tensor).data as Int32Array,
          };
    if (inPlace && !isDeviceKv(past)) {
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
          copyBlocks(dst, length * g.headDim, past.capacity * g.headDim, step, rows * g.heads, block);
        }
      });
      return { logits, top, logSumExp, positions, vocab, present: { ...past, length: length + seq } };
    }
    const total = length + seq;
    if (this.kvOnDevice) {
      const tensors = io.kv.flatMap((p) => [
        out[p.presentKey] as ort.Tensor,
        out[p.presentValue] as ort.Tensor,
      ]);
      const present: DeviceKvBatch = { rows, length: total, capacity: total, tensors };
      this.live.add(present);
      return { logits, top, logSumExp, positions, vocab, present };
    }
    const arrays: KvArray[] = [];
    for (const p of io.kv) {
      arrays.push(
        (out[p.presentKey] as ort.Tensor).data as KvArray,
        (out[p.presentValue] as ort.Tensor).data as KvArray,
      );
    }
    const present = { rows, length: total, capacity: total, arrays };
    return { logits, top, logSumExp, positions, vocab, present };
  }

  /** The pass's logits as float32, checked against the shape asked for. */
  private logitsOf(out: ort.InferenceSession.ReturnType, rows: number, positions: number): Float32Array {
    const tensor = out[this.logitsOutput] as ort.Tensor;
    const raw = tensor.data;
    const logits = raw instanceof Float32Array ? raw : float16BitsToFloat32Array(raw as Uint16Array);
    const vocab = tensor.dims[tensor.dims.length - 1] as number;
    if (logits.length !== rows * positions * vocab) {
      // Some exports return only the last position's logits; callers here need every position.
      throw new RolloutError(
        `${this.file}: logits have shape [${tensor.dims.join(", ")}], expected [${rows}, ${positions}, vocab]`,
      );
    }
    return logits;
  }

  async close(): Promise<void> {
    for (const kv of this.live) releaseKv(kv);
    this.live.clear();
    await this.gatherer?.close();
    await this.session.release();
  }
}
