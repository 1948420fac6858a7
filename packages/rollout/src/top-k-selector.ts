/**
 * The k largest logits of every row of a batch, computed by onnxruntime's TopK kernel in a tiny session of
 * its own (the model's graph is not touched). At 128 rows x 32k vocabulary a JavaScript scan took 20-40 ms
 * per decode step here, a quarter of the step; onnxruntime's kernel, threaded over rows, about 3 ms (see the
 * README's benchmark). The order is the one `topK` in logit-math gives: descending, ties by lower id (the
 * ONNX TopK contract since opset 11), so samples do not depend on which of the two produced the list.
 */
import { encodeOnnxModel, GraphBuilder, ONNX_IR_VERSION, OnnxDataType } from "@ssb/model";
import * as ort from "onnxruntime-node";
import type { RowTop } from "./logit-math.js";

/** `rows` lists of `k` entries, row-major: row r is `values[r*k .. r*k+k)`, highest first. */
export interface BatchTop {
  rows: number;
  k: number;
  values: Float32Array;
  ids: Int32Array;
}

/** Row `r` of a batch's top-k as the per-row view the sampler and capture take. */
export function rowTop(batch: BatchTop, r: number): RowTop {
  const from = r * batch.k;
  return {
    values: batch.values.subarray(from, from + batch.k),
    ids: batch.ids.subarray(from, from + batch.k),
  };
}

/** logits float32 [rows, vocab], k int64 [1] -> values float32 [rows, k], ids int32 [rows, k]. */
function topKModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const logits = g.input("logits", OnnxDataType.FLOAT, ["rows", "vocab"]);
  const k = g.input("k", OnnxDataType.INT64, [1]);
  const [values, indices] = g.node("TopK", [logits, k], {
    attrs: { axis: -1, largest: 1, sorted: 1 },
    outputs: ["values", "indices"],
  });
  g.output(values as string, "values", OnnxDataType.FLOAT, ["rows", "k"]);
  const ids = g.op("Cast", [indices as string], { to: OnnxDataType.INT32 });
  g.output(ids, "ids", OnnxDataType.INT32, ["rows", "k"]);
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "@ssb/rollout",
    producerVersion: "0.1.0",
    graph: {
      name: "top_k",
      node: g.nodeProtos(),
      initializer: [],
      input: g.inputProtos(),
      output: g.outputProtos(),
    },
  });
}

export class TopKSelector {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** A CPU session (the logits are in host memory already); `threads` as the model's intra-op setting. */
  static async create(threads?: number): Promise<TopKSelector> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ["cpu"],
      // Idle threads of this session must not spin: they would take the cores from the model's next run.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    };
    if (threads !== undefined && threads > 0) options.intraOpNumThreads = threads;
    return new TopKSelector(await ort.InferenceSession.create(topKModel(), options));
  }

  /** The top `k` (1 <= k <= vocab) of each of `rows` rows of `logits` ([rows, vocab] row-major). */
  async select(logits: Float32Array, rows: number, vocab: number, k: number): Promise<BatchTop> {
    if (!(Number.isInteger(k) && k >= 1 && k <= vocab))
      throw new RangeError(`top-k: k must be an integer in [1, ${vocab}], found ${k}`);
    if (logits.length !== rows * vocab)
      throw new RangeError(`top-k: ${logits.length} logits is not ${rows} rows x ${vocab}`);
    const out = await this.session.run({
      logits: new ort.Tensor("float32", logits, [rows, vocab]),
      k: new ort.Tensor("int64", BigInt64Array.of(BigInt(k)), [1]),
    });
    return {
      rows,
      k,
      values: (out.values as ort.Tensor).data as Float32Array,
      ids: (out.ids as ort.Tensor).data as Int32Array,
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
