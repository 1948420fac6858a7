/** readOutputSource: where our exports' logits are computed, and fetching that value instead of `logits`. */
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
import { readOutputSource } from "./onnx-output-source.js";
import { decodeOnnxModel, OnnxDataType } from "./onnx-proto.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-output-source-test-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A 2-row, 3-token prompt with an empty cache, for the tiny reference (2 layers, 2 KV heads of 16). */
function promptFeeds(layers: number): Record<string, ort.Tensor> {
  const i64 = (values: number[], dims: number[]) =>
    new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64([5, 9, 77, 3, 120, 14], [2, 3]),
    attention_mask: i64([1, 1, 1, 1, 1, 1], [2, 3]),
    position_ids: i64([0, 1, 2, 0, 1, 2], [2, 3]),
  };
  const empty = new ort.Tensor("float32", new Float32Array(0), [2, 2, 0, 16]);
  for (let l = 0; l < layers; l++) {
    feeds[decoderIo.pastKey(l)] = empty;
    feeds[decoderIo.pastValue(l)] = empty;
  }
  return feeds;
}

describe("readOutputSource", () => {
  for (const variant of ["plain", "contrib"] as const) {
    it(`finds the LM head's Gemm behind the ${variant} export's logits; fetching it gives the same values`, async () => {
      const result = await exportOnnx({ modelDir: tinyRefDir, outDir: path.join(workDir, variant), variant });
      const bytes = await readFile(result.modelFile);
      const source = readOutputSource(bytes, decoderIo.logits);
      expect(source).not.toBeNull();
      if (source === null) return;
      expect(source.opType).toBe("Gemm");
      expect(source.through).toEqual(["Identity", "Reshape"]);
      expect(source.dims).toEqual([null, 256]);

      const edit = editOnnxGraph(bytes, {
        dropOutputs: new Set([decoderIo.logits]),
        addOutputs: [{ name: source.value, dataType: OnnxDataType.FLOAT, dims: ["rows", 256] }],
      });
      const edited = edit.bytes;
      // The Reshape's shape constants go with it (onnxruntime warns about every unread initializer).
      expect(edit.removedInitializers).toBeGreaterThan(0);
      const model = decodeOnnxModel(edited);
      const read = new Set(model.graph.node.flatMap((n) => n.input));
      expect(model.graph.initializer.map((i) => i.name).filter((name) => !read.has(name))).toEqual([]);
      const opts = { logSeverityLevel: 3 as const };
      const full = await ort.InferenceSession.create(bytes, opts);
      const direct = await ort.InferenceSession.create(edited, opts);
      expect(direct.outputNames).not.toContain(decoderIo.logits);
      const feeds = promptFeeds(result.config.numLayers);
      const a = (await full.run(feeds, [decoderIo.logits]))[decoderIo.logits] as ort.Tensor;
      const b = (await direct.run(feeds, [source.value]))[source.value] as ort.Tensor;
      expect(a.dims).toEqual([2, 3, 256]);
      expect(b.dims).toEqual([6, 256]);
      expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
      await full.release();
      await direct.release();
    });
  }

  it("stops at the first computing node, at a graph input, and returns null for a missing output", () => {
    const g = new GraphBuilder(17);
    const F = OnnxDataType.FLOAT;
    const x = g.input("x", F, ["n", 4]);
    const sum = g.node("Add", [x, x], { outputs: ["sum"] })[0] as string;
    g.output(g.op("Flatten", [g.op("Unsqueeze", [sum, g.int64([0])])]), "flat", F, ["n", 4]);
    g.output(g.op("Identity", [x]), "copy", F, ["n", 4]);
    g.output(sum, "sum", F, ["n", 4]);
    const bytes = encodeBuilt(g);
    expect(readOutputSource(bytes, "flat")).toEqual({
      value: sum,
      opType: "Add",
      through: ["Identity", "Flatten", "Unsqueeze"], // the builder names outputs through an Identity
      dims: null,
    });
    expect(readOutputSource(bytes, "copy")).toEqual({
      value: "x",
      opType: "",
      through: ["Identity", "Identity"],
      dims: null,
    });
    expect(readOutputSource(bytes, "sum")).toEqual({ value: sum, opType: "Add", through: [], dims: null });
    expect(readOutputSource(bytes, "nope")).toBeNull();
    expect(() => readOutputSource(Uint8Array.of(0x3a, 0x05, 0x01), "flat", "x.onnx")).toThrow(/x\.onnx/);
  });
});
