/** logSumExpEdits: chosen rows' log-sum-exp from the graph, on our export (opset 17) and a hand graph (opset 18). */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBuilt } from "../test/built-graph.js";
import { tinyRefDir } from "../test/paths.js";
import { decoderIo } from "./export-decoder.js";
import { exportOnnx } from "./export-onnx.js";
import { editOnnxGraph } from "./onnx-edit.js";
import { GraphBuilder } from "./onnx-graph.js";
import { logSumExpEdits } from "./onnx-log-sum-exp.js";
import { readOutputSource } from "./onnx-output-source.js";
import { OnnxDataType } from "./onnx-proto.js";
import { readGraphSignature } from "./onnx-signature.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-lse-test-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** log Σ exp over one row, in float64. */
function rowLogSumExp(values: Float32Array, row: number, width: number): number {
  const r = values.subarray(row * width, (row + 1) * width);
  const max = r.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
  return max + Math.log(r.reduce((sum, v) => sum + Math.exp(v - max), 0));
}

const i64 = (values: number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [values.length]);

describe("logSumExpEdits", () => {
  it("gives the chosen rows' log-sum-exp of our export's LM head (opset 17), and nothing for no rows", async () => {
    const result = await exportOnnx({ modelDir: tinyRefDir, outDir: path.join(workDir, "plain") });
    const bytes = await readFile(result.modelFile);
    const source = readOutputSource(bytes, decoderIo.logits);
    const { opset } = readGraphSignature(bytes);
    expect([source?.value, opset]).toEqual(["lm_head", 17]);
    const lse = logSumExpEdits({ of: "lm_head", rows: "lse_rows", output: "lse", opset });
    const edited = editOnnxGraph(bytes, {
      ...lse,
      addOutputs: [{ name: "lm_head", dataType: OnnxDataType.FLOAT, dims: ["n", 256] }, ...lse.addOutputs],
    }).bytes;
    const session = await ort.InferenceSession.create(edited, { logSeverityLevel: 3 });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", BigInt64Array.of(5n, 9n, 77n, 3n, 120n, 14n), [2, 3]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(6).fill(1n), [2, 3]),
      position_ids: new ort.Tensor("int64", BigInt64Array.of(0n, 1n, 2n, 0n, 1n, 2n), [2, 3]),
    };
    for (let l = 0; l < result.config.numLayers; l++) {
      const empty = new ort.Tensor("float32", new Float32Array(0), [2, 2, 0, 16]);
      feeds[decoderIo.pastKey(l)] = empty;
      feeds[decoderIo.pastValue(l)] = empty;
    }
    const rows = [4, 0, 5, 4];
    const out = await session.run({ ...feeds, lse_rows: i64(rows) }, ["lm_head", "lse"]);
    const logits = (out.lm_head as ort.Tensor).data as Float32Array;
    const got = (out.lse as ort.Tensor).data as Float32Array;
    expect(got.length).toBe(rows.length);
    rows.forEach((row, j) => {
      expect(Math.abs((got[j] as number) - rowLogSumExp(logits, row, 256))).toBeLessThan(1e-5);
    });
    const none = await session.run({ ...feeds, lse_rows: i64([]) }, ["lse"]);
    // onnxruntime shapes this empty result [0, 256] rather than [0]: no values either way.
    expect((none.lse as ort.Tensor).data.length).toBe(0);
    await session.release();
  });

  it("takes its axes from a Constant at opset 18 and stays finite for large logits", async () => {
    const g = new GraphBuilder(18);
    g.input("x", OnnxDataType.FLOAT, ["n", 8]);
    g.output(g.op("Identity", ["x"]), "y", OnnxDataType.FLOAT, ["n", 8]);
    const lse = logSumExpEdits({ of: "x", rows: "pick", output: "lse", opset: 18 });
    const session = await ort.InferenceSession.create(editOnnxGraph(encodeBuilt(g), lse).bytes);
    const x = Float32Array.from({ length: 24 }, (_, i) => (i < 8 ? 200 + i : Math.sin(i) * 3));
    const out = await session.run({ x: new ort.Tensor("float32", x, [3, 8]), pick: i64([2, 0]) }, ["lse"]);
    const got = (out.lse as ort.Tensor).data as Float32Array;
    expect(Math.abs((got[0] as number) - rowLogSumExp(x, 2, 8))).toBeLessThan(1e-5);
    expect(Math.abs((got[1] as number) - rowLogSumExp(x, 0, 8))).toBeLessThan(1e-4); // ~207.5 in float32
    await session.release();
  });
});
