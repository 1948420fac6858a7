/**
 * The KV cache kept where the model runs. On a GPU provider the host-side cache (kv-batch.ts) goes to the
 * device whole on every step. Here the cache stays in onnxruntime tensors: each pass's `present.*` outputs
 * (left on the device by `preferredOutputLocation`) are the next pass's past, and freeing and refilling
 * slots — the row gathers that gatherKv does on host arrays — runs as a small ONNX graph on the same
 * provider. On a lent H100 with WebGPU a 214M model's 32 x 4 row ran 187.9 tok/s with the host cache and
 * 1,998 with this one (README, "On a GPU").
 *
 * Such tensors own device memory that only `dispose()` frees, so every batch has one owner that releases it
 * ({@link releaseKv}) once no row reads from it.
 */
import { encodeOnnxModel, GraphBuilder, ONNX_IR_VERSION, OnnxDataType } from "@ssb/model";
import * as ort from "onnxruntime-node";
import { RolloutError } from "./errors.js";
import { gatherKv, type KvBatch, type KvGeometry, type KvRowSource } from "./kv-batch.js";

/** A batch's cache as onnxruntime tensors (one per geometry name), every row right aligned at `length`. */
export interface DeviceKvBatch {
  rows: number;
  /** Used positions per row; the tensors' sequence axis has exactly this size. */
  length: number;
  capacity: number;
  tensors: ort.Tensor[];
}

/** What a DecoderSession's passes take and return: host arrays, or tensors kept on the provider. */
export type SessionKv = KvBatch | DeviceKvBatch;

export function isDeviceKv(kv: SessionKv): kv is DeviceKvBatch {
  return "tensors" in kv;
}

/** One row to copy into a new batch: row `row` of `from`, whose last `len` positions are real. */
export interface SessionKvSource {
  from: SessionKv;
  row: number;
  len: number;
}

/** Free a device batch's tensors (a host batch is left to the garbage collector). Safe to call twice. */
export function releaseKv(kv: SessionKv): void {
  if (!isDeviceKv(kv)) return;
  for (const t of kv.tensors) t.dispose();
  kv.tensors.length = 0;
}

/**
 * The gather graph for `parts` source batches. Per part p: `rows_p` (int64 [n]) picks rows (a row may
 * repeat: a prompt's KV once per sample), `start_p` / `end_p` cut the sequence axis to the positions kept,
 * `pads_p` (int64 [2 x rank]) pads the front with zeros up to the new length; the parts are concatenated
 * on the batch axis in order. Zeros and whatever earlier positions a row keeps are masked out by the
 * attention mask, as left padding is.
 */
function gatherGraph(geom: KvGeometry, parts: number): Uint8Array {
  const g = new GraphBuilder(13);
  const elem = geom.dtype === "float16" ? OnnxDataType.FLOAT16 : OnnxDataType.FLOAT;
  const shape = (rows: string, seq: string): (string | number)[] =>
    geom.layout === "heads-first"
      ? [rows, geom.heads, seq, geom.headDim]
      : [rows, seq, geom.heads, geom.headDim];
  const axes = g.input("axes", OnnxDataType.INT64, [1]);
  const pieces: string[][] = geom.names.map(() => []);
  for (let p = 0; p < parts; p++) {
    const rows = g.input(`rows_${p}`, OnnxDataType.INT64, [`picked_${p}`]);
    const start = g.input(`start_${p}`, OnnxDataType.INT64, [1]);
    const end = g.input(`end_${p}`, OnnxDataType.INT64, [1]);
    const pads = g.input(`pads_${p}`, OnnxDataType.INT64, [8]);
    geom.names.forEach((_, a) => {
      const x = g.input(`kv_${p}_${a}`, elem, shape(`rows_${p}`, `seq_${p}`));
      const picked = g.op("Gather", [x, rows], { axis: 0 });
      const cut = g.op("Slice", [picked, start, end, axes]);
      (pieces[a] as string[]).push(g.op("Pad", [cut, pads]));
    });
  }
  pieces.forEach((list, a) => {
    const joined = list.length === 1 ? (list[0] as string) : g.op("Concat", list, { axis: 0 });
    g.output(joined, `out_${a}`, elem, shape("rows", "length"));
  });
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "@ssb/rollout",
    producerVersion: "0.1.0",
    graph: {
      name: "kv_gather",
      node: g.nodeProtos(),
      initializer: [],
      input: g.inputProtos(),
      output: g.outputProtos(),
    },
  });
}

const int64 = (values: number[]): ort.Tensor =>
  new ort.Tensor(
    "int64",
    BigInt64Array.from(values, (v) => BigInt(v)),
    [values.length],
  );

/** A host batch's arrays as tensors (the gather graph reads them like device ones). */
function hostTensors(geom: KvGeometry, kv: KvBatch): ort.Tensor[] {
  const dims =
    geom.layout === "heads-first"
      ? [kv.rows, geom.heads, kv.capacity, geom.headDim]
      : [kv.rows, kv.capacity, geom.heads, geom.headDim];
  return kv.arrays.map((a) => new ort.Tensor(geom.dtype, a, dims));
}

/** Opens the gather session for a number of parts on the provider the model runs on. */
export type GatherSessionFactory = (model: Uint8Array) => Promise<ort.InferenceSession>;

/** Row gathers for device batches, one small session per number of source batches (usually 1 to 3). */
export class DeviceKvGatherer {
  private readonly sessions = new Map<number, Promise<ort.InferenceSession>>();

  constructor(
    private readonly geom: KvGeometry,
    private readonly open: GatherSessionFactory,
  ) {}

  /**
   * A new batch whose row i is `sources[i]` right aligned; its length is the longest `len`. The sources'
   * batches are not changed or released.
   */
  async gather(sources: readonly SessionKvSource[]): Promise<DeviceKvBatch> {
    const geom = this.geom;
    let length = 0;
    for (const s of sources) length = Math.max(length, s.len);
    // Runs of consecutive rows from the same batch: one part each.
    const runs: { from: SessionKv; rows: number[] }[] = [];
    for (const s of sources) {
      const last = runs[runs.length - 1];
      if (last && last.from === s.from) last.rows.push(s.row);
      else runs.push({ from: s.from, rows: [s.row] });
    }
    if (runs.length === 0) {
      const dims =
        geom.layout === "heads-first" ? [0, geom.heads, 0, geom.headDim] : [0, 0, geom.heads, geom.headDim];
      const tensors = geom.names.map(() => new ort.Tensor(geom.dtype, emptyArray(geom), dims));
      return { rows: 0, length: 0, capacity: 0, tensors };
    }
    const seqAxis = geom.layout === "heads-first" ? 2 : 1;
    const feeds: Record<string, ort.Tensor> = { axes: int64([seqAxis]) };
    runs.forEach((run, p) => {
      const from = run.from;
      if (isDeviceKv(from) && from.tensors.length !== geom.names.length)
        throw new RolloutError("kv gather: a source batch was already released");
      const tensors = isDeviceKv(from) ? from.tensors : hostTensors(geom, from);
      // Real positions end at `length` in both kinds (a host batch may hold spare columns after it).
      const kept = Math.min(length, from.length);
      const pads = [0, 0, 0, 0, 0, 0, 0, 0];
      pads[seqAxis] = length - kept;
      feeds[`rows_${p}`] = int64(run.rows);
      feeds[`start_${p}`] = int64([from.length - kept]);
      feeds[`end_${p}`] = int64([from.length]);
      feeds[`pads_${p}`] = int64(pads);
      tensors.forEach((t, a) => {
        feeds[`kv_${p}_${a}`] = t;
      });
    });
    const session = await this.session(runs.length);
    const out = await session.run(feeds);
    const tensors = geom.names.map((_, a) => out[`out_${a}`] as ort.Tensor);
    return { rows: sources.length, length, capacity: length, tensors };
  }

  private session(parts: number): Promise<ort.InferenceSession> {
    let found = this.sessions.get(parts);
    if (!found) {
      found = this.open(gatherGraph(this.geom, parts));
      this.sessions.set(parts, found);
    }
    return found;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}

function emptyArray(geom: KvGeometry): Float32Array | Uint16Array {
  return geom.dtype === "float16" ? new Uint16Array(0) : new Float32Array(0);
}

/** Host sources only: the host gather (gatherKv), with `spare` columns. */
export function gatherHost(geom: KvGeometry, sources: readonly SessionKvSource[], spare: number): KvBatch {
  const host: KvRowSource[] = sources.map((s) => {
    if (isDeviceKv(s.from)) throw new RolloutError("gatherHost: a source is a device batch");
    return { from: s.from, row: s.row, len: s.len };
  });
  return gatherKv(geom, host, 0, spare);
}
