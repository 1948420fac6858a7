/**
 * pruneOnnxOutputs on the tiny reference export: dropping `present.*` removes exactly the cache
 * concatenations in the plain graph, keeps every other output bit-identical, and leaves the contrib
 * graph's fused attention (which must produce `present.*`) in place.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { decoderIo } from "./export-decoder.js";
import { exportOnnx } from "./export-onnx.js";
import { decodeOnnxModel } from "./onnx-proto.js";
import { pruneOnnxOutputs } from "./onnx-prune.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-prune-test-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function exported(variant: "plain" | "contrib"): Promise<{ bytes: Uint8Array; layers: number }> {
  const result = await exportOnnx({ modelDir: tinyRefDir, outDir: path.join(workDir, variant), variant });
  return { bytes: await readFile(result.modelFile), layers: result.config.numLayers };
}

const presentNames = (layers: number): Set<string> =>
  new Set(
    Array.from({ length: layers }, (_, i) => [decoderIo.presentKey(i), decoderIo.presentValue(i)]).flat(),
  );

/** Prefill 5 tokens for 2 rows, then one decode step from the full model's present. */
async function run(session: ort.InferenceSession, full: ort.InferenceSession, layers: number) {
  const feeds = (ids: number[], past: number, rows: number, from?: ort.InferenceSession.OnnxValueMapType) => {
    const seq = ids.length / rows;
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [rows, seq]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(rows * (past + seq)).fill(1n), [
        rows,
        past + seq,
      ]),
      position_ids: new ort.Tensor(
        "int64",
        BigInt64Array.from(Array.from({ length: rows * seq }, (_, i) => BigInt(past + (i % seq)))),
        [rows, seq],
      ),
    };
    for (let l = 0; l < layers; l++)
      for (const kind of ["key", "value"] as const) {
        const name = kind === "key" ? decoderIo.pastKey(l) : decoderIo.pastValue(l);
        const present = kind === "key" ? decoderIo.presentKey(l) : decoderIo.presentValue(l);
        f[name] = from
          ? (from[present] as ort.Tensor)
          : new ort.Tensor("float32", new Float32Array(0), [rows, 2, 0, 16]);
      }
    return f;
  };
  const wanted: string[] = [decoderIo.logits];
  for (let l = 0; l < layers; l++) wanted.push(decoderIo.newKey(l), decoderIo.newValue(l));
  const prompt = [5, 9, 77, 3, 120, 14, 200, 8, 61, 33];
  const prefill = await session.run(feeds(prompt, 0, 2), wanted);
  const cache = await full.run(feeds(prompt, 0, 2));
  const step = await session.run(feeds([42, 17], 5, 2, cache), wanted);
  return { prefill, step, wanted };
}

describe("pruneOnnxOutputs", () => {
  it("drops present.* and the cache concatenations from the plain graph; other outputs are unchanged", async () => {
    const { bytes, layers } = await exported("plain");
    const pruned = pruneOnnxOutputs(bytes, presentNames(layers));
    expect(pruned.removedOutputs).toBe(2 * layers);
    expect(pruned.removedNodes).toBe(2 * layers);
    const model = decodeOnnxModel(pruned.bytes);
    const original = decodeOnnxModel(bytes);
    expect(model.graph.output.map((o) => o.name)).toEqual(
      original.graph.output.map((o) => o.name).filter((n) => !n.startsWith("present.")),
    );
    expect(model.graph.node.filter((n) => n.opType === "Concat").length).toBe(
      original.graph.node.filter((n) => n.opType === "Concat").length - 2 * layers,
    );
    expect(model.graph.initializer.length).toBe(original.graph.initializer.length);
    expect(model.opsetImport).toEqual(original.opsetImport);

    const options = { graphOptimizationLevel: "all" as const, intraOpNumThreads: 1 };
    const full = await ort.InferenceSession.create(bytes, options);
    const lean = await ort.InferenceSession.create(pruned.bytes, options);
    expect(lean.outputNames.some((n) => n.startsWith("present."))).toBe(false);
    const a = await run(full, full, layers);
    const b = await run(lean, full, layers);
    for (const name of a.wanted) {
      expect(Array.from(b.prefill[name]?.data as Float32Array)).toEqual(
        Array.from(a.prefill[name]?.data as Float32Array),
      );
      expect(Array.from(b.step[name]?.data as Float32Array)).toEqual(
        Array.from(a.step[name]?.data as Float32Array),
      );
    }
    await full.release();
    await lean.release();
  });

  it("keeps nodes that other outputs still need (the contrib graph's GroupQueryAttention)", async () => {
    const { bytes, layers } = await exported("contrib");
    const pruned = pruneOnnxOutputs(bytes, presentNames(layers));
    expect([pruned.removedOutputs, pruned.removedNodes]).toEqual([2 * layers, 0]);
    const lean = await ort.InferenceSession.create(pruned.bytes);
    expect(lean.outputNames).toContain(decoderIo.newKey(0));
    await lean.release();
  });

  it("returns the input when no output matches, and names the model when the bytes are not ONNX", async () => {
    const { bytes } = await exported("plain");
    const same = pruneOnnxOutputs(bytes, new Set(["no_such_output"]));
    expect(same.bytes).toBe(bytes);
    expect([same.removedOutputs, same.removedNodes]).toEqual([0, 0]);
    expect(() => pruneOnnxOutputs(bytes.subarray(0, 1000), new Set(["logits"]), "cut.onnx")).toThrow(
      /cut\.onnx: not a readable ONNX model \(field \d+ at byte \d+ runs past/,
    );
  });
});
