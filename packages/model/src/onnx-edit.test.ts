/**
 * editOnnxGraph: dropped outputs take the nodes only they needed (a hand-built graph), and keep the ones
 * other outputs read (the tiny reference export's cache concatenations, which attention reads; the contrib
 * graph's GroupQueryAttention), with every other output bit-identical; `logits_to_keep` turned into an
 * input gives the last positions' logits only, equal to the full pass's.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { decoderIo } from "./export-decoder.js";
import { exportOnnx } from "./export-onnx.js";
import { editOnnxGraph } from "./onnx-edit.js";
import { GraphBuilder } from "./onnx-graph.js";
import { decodeOnnxModel, encodeOnnxModel, ONNX_IR_VERSION, OnnxDataType } from "./onnx-proto.js";

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

describe("editOnnxGraph", () => {
  it("drops an output with the nodes only it needed", async () => {
    const g = new GraphBuilder(17);
    const x = g.input("x", OnnxDataType.FLOAT, [3]);
    g.output(g.op("Neg", [x], undefined, "neg"), "y", OnnxDataType.FLOAT, [3]);
    const e = g.op("Exp", [x], undefined, "exp");
    g.output(g.op("Sqrt", [e], undefined, "sqrt"), "z", OnnxDataType.FLOAT, [3]);
    g.output(g.op("Abs", [e], undefined, "abs"), "w", OnnxDataType.FLOAT, [3]);
    const bytes = encodeOnnxModel({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: "", version: 17 }],
      producerName: "test",
      producerVersion: "0",
      graph: {
        name: "g",
        node: g.nodeProtos(),
        initializer: [],
        input: g.inputProtos(),
        output: g.outputProtos(),
      },
    });
    const onlyZ = editOnnxGraph(bytes, { dropOutputs: new Set(["z"]) });
    // GraphBuilder names outputs through an Identity node each.
    expect([onlyZ.removedOutputs, onlyZ.removedNodes]).toEqual([1, 2]); // Sqrt + Identity; Exp feeds w
    const both = editOnnxGraph(bytes, { dropOutputs: new Set(["z", "w"]) });
    expect([both.removedOutputs, both.removedNodes]).toEqual([2, 5]); // Sqrt, Abs, Exp, 2 x Identity
    expect(decodeOnnxModel(both.bytes).graph.node.map((n) => n.opType)).toEqual(["Neg", "Identity"]);
    const session = await ort.InferenceSession.create(both.bytes);
    expect(session.outputNames).toEqual(["y"]);
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from([1, -2, 3]), [3]) });
    expect(Array.from(out.y?.data as Float32Array)).toEqual([-1, 2, -3]);
    await session.release();
  });

  it("drops present.* from the plain export, whose attention still reads the concatenations", async () => {
    const { bytes, layers } = await exported("plain");
    const pruned = editOnnxGraph(bytes, { dropOutputs: presentNames(layers) });
    expect([pruned.removedOutputs, pruned.removedNodes]).toEqual([2 * layers, 0]);
    const model = decodeOnnxModel(pruned.bytes);
    const original = decodeOnnxModel(bytes);
    expect(model.graph.output.map((o) => o.name)).toEqual(
      original.graph.output.map((o) => o.name).filter((n) => !n.startsWith("present.")),
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
    const pruned = editOnnxGraph(bytes, { dropOutputs: presentNames(layers) });
    expect([pruned.removedOutputs, pruned.removedNodes]).toEqual([2 * layers, 0]);
    const lean = await ort.InferenceSession.create(pruned.bytes);
    expect(lean.outputNames).toContain(decoderIo.newKey(0));
    await lean.release();
  });

  it("returns the input when no output matches, and names the model when the bytes are not ONNX", async () => {
    const { bytes } = await exported("plain");
    const same = editOnnxGraph(bytes, {
      dropOutputs: new Set(["no_such_output"]),
      initializersToInputs: new Set(["no_such_initializer"]),
    });
    expect(same.bytes).toBe(bytes);
    expect([same.removedOutputs, same.removedNodes, same.newInputs]).toEqual([0, 0, []]);
    expect(() =>
      editOnnxGraph(bytes.subarray(0, 1000), { dropOutputs: new Set(["logits"]) }, "cut.onnx"),
    ).toThrow(/cut\.onnx: not a readable ONNX model \(field \d+ at byte \d+ runs past/);
  });

  it("turns logits_to_keep into an input: 1 gives the last position's logits of the full pass, 0 all", async () => {
    const { bytes, layers } = await exported("plain");
    const edited = editOnnxGraph(bytes, {
      dropOutputs: presentNames(layers),
      initializersToInputs: new Set([decoderIo.logitsToKeep]),
    });
    expect(edited.newInputs).toEqual([decoderIo.logitsToKeep]);
    expect(
      decodeOnnxModel(edited.bytes).graph.initializer.some((t) => t.name === decoderIo.logitsToKeep),
    ).toBe(false);
    const options = { graphOptimizationLevel: "all" as const, intraOpNumThreads: 1 };
    const full = await ort.InferenceSession.create(bytes, options);
    const lean = await ort.InferenceSession.create(edited.bytes, options);
    expect(lean.inputNames).toContain(decoderIo.logitsToKeep);
    const rows = 2;
    const seq = 5;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor(
        "int64",
        BigInt64Array.from([5, 9, 77, 3, 120, 14, 200, 8, 61, 33].map(BigInt)),
        [rows, seq],
      ),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(rows * seq).fill(1n), [rows, seq]),
      position_ids: new ort.Tensor("int64", BigInt64Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3, 4].map(BigInt)), [
        rows,
        seq,
      ]),
    };
    for (let l = 0; l < layers; l++) {
      feeds[decoderIo.pastKey(l)] = new ort.Tensor("float32", new Float32Array(0), [rows, 2, 0, 16]);
      feeds[decoderIo.pastValue(l)] = new ort.Tensor("float32", new Float32Array(0), [rows, 2, 0, 16]);
    }
    const keep = (k: number) => new ort.Tensor("int64", BigInt64Array.of(BigInt(k)), [1]);
    const all = (await full.run(feeds, [decoderIo.logits]))[decoderIo.logits] as ort.Tensor;
    const last = (await lean.run({ ...feeds, [decoderIo.logitsToKeep]: keep(1) }, [decoderIo.logits]))[
      decoderIo.logits
    ] as ort.Tensor;
    const every = (await lean.run({ ...feeds, [decoderIo.logitsToKeep]: keep(0) }, [decoderIo.logits]))[
      decoderIo.logits
    ] as ort.Tensor;
    const V = all.dims[2] as number;
    expect(all.dims).toEqual([rows, seq, V]);
    expect(last.dims).toEqual([rows, 1, V]);
    expect(Array.from(every.data as Float32Array)).toEqual(Array.from(all.data as Float32Array));
    const a = all.data as Float32Array;
    for (let r = 0; r < rows; r++) {
      expect(Array.from((last.data as Float32Array).subarray(r * V, (r + 1) * V))).toEqual(
        Array.from(a.subarray((r * seq + seq - 1) * V, (r * seq + seq) * V)),
      );
    }
    await full.release();
    await lean.release();
  });
});
