/**
 * editOnnxGraph: dropped outputs take the nodes only they needed (a hand-built graph), and keep the ones
 * other outputs read (the tiny reference export's cache concatenations, which attention reads; the contrib
 * graph's GroupQueryAttention), with every other output bit-identical; `logits_to_keep` turned into an
 * input gives the last positions' logits only, equal to the full pass's. Split cached attention gives the
 * original outputs (within 1e-5) for an empty-past prefill and a masked decode step and, with `present.*`
 * dropped, no longer concatenates the cache; it leaves GroupQueryAttention and non-matching graphs alone.
 * Added nodes, inputs and outputs: a TopK over the tiny export's logits, attributes, clashes.
 */
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
import { decodeOnnxModel, OnnxAttributeType, OnnxDataType } from "./onnx-proto.js";
import { type GraphValueSignature, readGraphSignature } from "./onnx-signature.js";
import { topKEdits } from "./onnx-top-k.js";

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

type Outputs = ort.InferenceSession.OnnxValueMapType;

/**
 * Decoder feeds for rows of `ids` (equal lengths) after the cache in `past` (a run's `present.*`; empty
 * when absent), with `mask` covering past and new columns; positions count the unmasked columns.
 */
function decoderFeeds(layers: number, ids: number[][], mask: number[][], past?: Outputs) {
  const rows = ids.length;
  const seq = ids[0]?.length ?? 0;
  const total = mask[0]?.length ?? 0;
  const positions = mask.flatMap((row) => {
    const at: bigint[] = [];
    let seen = 0;
    for (const m of row) {
      seen += m;
      at.push(BigInt(Math.max(seen - 1, 0)));
    }
    return at.slice(total - seq);
  });
  const i64 = (values: bigint[], dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(values), dims);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids.flat().map(BigInt), [rows, seq]),
    attention_mask: i64(mask.flat().map(BigInt), [rows, total]),
    position_ids: i64(positions, [rows, seq]),
  };
  const empty = new ort.Tensor("float32", new Float32Array(0), [rows, 2, 0, 16]);
  for (let l = 0; l < layers; l++) {
    feeds[decoderIo.pastKey(l)] = (past?.[decoderIo.presentKey(l)] as ort.Tensor | undefined) ?? empty;
    feeds[decoderIo.pastValue(l)] = (past?.[decoderIo.presentValue(l)] as ort.Tensor | undefined) ?? empty;
  }
  return feeds;
}

function expectClose(expected: ort.Tensor | undefined, actual: ort.Tensor | undefined, name: string) {
  expect(actual?.dims, name).toEqual(expected?.dims);
  const a = expected?.data as Float32Array;
  const b = actual?.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  expect(worst, name).toBeLessThan(1e-5);
}

/** Attention over a cache as our plain export writes it, with one KV head per query head (no Reshapes). */
function handAttention(opset: number, extraKeyReader: boolean): Uint8Array {
  const g = new GraphBuilder(opset);
  const F = OnnxDataType.FLOAT;
  const shape = (length: string) => ["batch", 2, length, 4];
  const pastK = g.input("past_k", F, shape("past"));
  const pastV = g.input("past_v", F, shape("past"));
  const newK = g.op("Neg", [g.input("k", F, shape("seq"))]);
  const newV = g.input("v", F, shape("seq"));
  const q = g.input("q", F, shape("seq"));
  const keys = g.node("Concat", [pastK, newK], { attrs: { axis: -2 }, outputs: ["present_k"] })[0]!;
  const values = g.node("Concat", [pastV, newV], { attrs: { axis: 2 }, outputs: ["present_v"] })[0]!;
  const scores = g.op("MatMul", [q, g.op("Transpose", [keys], { perm: [0, 1, 3, 2] })]);
  const context = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), values]);
  g.output(context, "context", F, shape("seq"));
  g.output(keys, "present_k", F, shape("total"));
  g.output(values, "present_v", F, shape("total"));
  if (extraKeyReader) g.output(g.op("ReduceSum", [keys]), "key_sum", F, []);
  return encodeBuilt(g);
}

/** Indices of the k largest of `values`, ties to the lower index. */
function topK(values: Float32Array, k: number): number[] {
  const order = Array.from(values.keys()).sort(
    (a, b) => (values[b] as number) - (values[a] as number) || a - b,
  );
  return order.slice(0, k);
}

describe("editOnnxGraph", () => {
  it("drops an output with the nodes only it needed", async () => {
    const g = new GraphBuilder(17);
    const x = g.input("x", OnnxDataType.FLOAT, [3]);
    g.output(g.op("Neg", [x], undefined, "neg"), "y", OnnxDataType.FLOAT, [3]);
    const e = g.op("Exp", [x], undefined, "exp");
    g.output(g.op("Sqrt", [e], undefined, "sqrt"), "z", OnnxDataType.FLOAT, [3]);
    g.output(g.op("Abs", [e], undefined, "abs"), "w", OnnxDataType.FLOAT, [3]);
    const bytes = encodeBuilt(g);
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
  it("splits cached attention in the plain export: same outputs, and no cache concatenation left", async () => {
    const { bytes, layers } = await exported("plain");
    const split = editOnnxGraph(bytes, { splitCachedAttention: true });
    const lean = editOnnxGraph(bytes, { splitCachedAttention: true, dropOutputs: presentNames(layers) });
    expect(split.splitAttentionLayers).toBe(layers);
    expect([lean.splitAttentionLayers, lean.removedOutputs]).toEqual([layers, 2 * layers]);
    // Per layer: the two MatMuls replaced, and (present.* dropped) both Concats and the key Transpose.
    expect(split.removedNodes).toBe(3 * layers);
    expect(lean.removedNodes).toBe(5 * layers);
    const pastNames = new Set(
      Array.from({ length: layers }, (_, l) => [decoderIo.pastKey(l), decoderIo.pastValue(l)]).flat(),
    );
    const concatsOfPast = (model: Uint8Array) =>
      decodeOnnxModel(model).graph.node.filter(
        (n) => n.opType === "Concat" && n.input.some((i) => pastNames.has(i)),
      ).length;
    expect([concatsOfPast(bytes), concatsOfPast(split.bytes), concatsOfPast(lean.bytes)]).toEqual([
      2 * layers,
      2 * layers,
      0,
    ]);

    const options = { graphOptimizationLevel: "all" as const, intraOpNumThreads: 1 };
    const original = await ort.InferenceSession.create(bytes, options);
    const edited = [
      await ort.InferenceSession.create(split.bytes, options),
      await ort.InferenceSession.create(lean.bytes, options),
    ];
    const stepNames: string[] = [decoderIo.logits];
    for (let l = 0; l < layers; l++) stepNames.push(decoderIo.newKey(l), decoderIo.newValue(l));
    // (a) Prefill with an empty past, the first row left padded.
    const prefill = decoderFeeds(
      layers,
      [
        [0, 0, 5, 9, 77],
        [3, 120, 14, 200, 8],
      ],
      [
        [0, 0, 1, 1, 1],
        [1, 1, 1, 1, 1],
      ],
    );
    const prefillOut = await original.run(prefill);
    // (b) Two tokens after that cache, with pads and a spare column (row 2, column 3) masked.
    const step = decoderFeeds(
      layers,
      [
        [42, 17],
        [99, 7],
      ],
      [
        [0, 0, 1, 1, 1, 1, 1],
        [1, 1, 0, 1, 1, 1, 1],
      ],
      prefillOut,
    );
    const stepOut = await original.run(step);
    for (const [k, session] of edited.entries()) {
      const names = k === 0 ? original.outputNames : stepNames;
      const a = await session.run(prefill, names);
      const b = await session.run(step, names);
      for (const name of names) {
        expectClose(prefillOut[name] as ort.Tensor, a[name] as ort.Tensor, `prefill ${name}`);
        expectClose(stepOut[name] as ort.Tensor, b[name] as ort.Tensor, `step ${name}`);
      }
      await session.release();
    }
    await original.release();
  });

  it("leaves the contrib export's GroupQueryAttention as is", async () => {
    const { bytes } = await exported("contrib");
    const same = editOnnxGraph(bytes, { splitCachedAttention: true });
    expect(same.bytes).toBe(bytes);
    expect([same.splitAttentionLayers, same.removedNodes]).toEqual([0, 0]);
  });

  it("splits hand-built attention (one KV head per query head) only where nothing else reads the cache", async () => {
    const bytes = handAttention(17, false);
    const split = editOnnxGraph(bytes, { splitCachedAttention: true });
    expect(split.splitAttentionLayers).toBe(1);
    const original = await ort.InferenceSession.create(bytes);
    const edited = await ort.InferenceSession.create(split.bytes);
    const tensor = (length: number, seed: number) =>
      new ort.Tensor(
        "float32",
        Float32Array.from({ length: 2 * length * 4 }, (_, i) => Math.sin(seed * 7.1 + i * 1.3)),
        [1, 2, length, 4],
      );
    for (const past of [0, 3]) {
      const feeds = { past_k: tensor(past, 1), past_v: tensor(past, 2), k: tensor(2, 3), v: tensor(2, 4) };
      const a = await original.run({ ...feeds, q: tensor(2, 5) });
      const b = await edited.run({ ...feeds, q: tensor(2, 5) });
      for (const name of original.outputNames)
        expectClose(a[name] as ort.Tensor, b[name] as ort.Tensor, `past ${past}: ${name}`);
    }
    await original.release();
    await edited.release();

    const shared = handAttention(17, true);
    const unsplit = editOnnxGraph(shared, { splitCachedAttention: true });
    expect([unsplit.bytes === shared, unsplit.splitAttentionLayers]).toEqual([true, 0]);
    // Shape(start, end) needs opset 15.
    const old = handAttention(14, false);
    expect(editOnnxGraph(old, { splitCachedAttention: true }).bytes).toBe(old);
  });

  it("appends TopK + Cast over the logits with a new k input and two new outputs", async () => {
    const { bytes, layers } = await exported("plain");
    const dims = ["batch_size", "sequence_length", "k"];
    const edited = editOnnxGraph(bytes, {
      dropOutputs: presentNames(layers),
      splitCachedAttention: true,
      ...topKEdits({ of: decoderIo.logits, k: "top_k", values: "top_values", ids: "top_ids", dims }),
    });
    const model = decodeOnnxModel(edited.bytes);
    expect(model.graph.input.at(-1)?.name).toBe("top_k");
    expect(model.graph.output.slice(-2).map((o) => o.name)).toEqual(["top_values", "top_ids"]);
    expect(model.graph.output.at(-1)?.type.tensorType.shape.dim).toEqual([
      { dimParam: "batch_size" },
      { dimParam: "sequence_length" },
      { dimParam: "k" },
    ]);
    const session = await ort.InferenceSession.create(edited.bytes);
    const k = 7;
    const feeds = decoderFeeds(
      layers,
      [
        [0, 5, 9],
        [3, 120, 14],
      ],
      [
        [0, 1, 1],
        [1, 1, 1],
      ],
    );
    const out = await session.run(
      { ...feeds, top_k: new ort.Tensor("int64", BigInt64Array.of(BigInt(k)), [1]) },
      [decoderIo.logits, "top_values", "top_ids"],
    );
    const logits = out[decoderIo.logits] as ort.Tensor;
    const V = logits.dims[2] as number;
    expect(out.top_ids?.dims).toEqual([2, 3, k]);
    expect(out.top_ids?.type).toBe("int32");
    const ids = out.top_ids?.data as Int32Array;
    const values = out.top_values?.data as Float32Array;
    const all = logits.data as Float32Array;
    for (let r = 0; r < 6; r++) {
      const row = all.subarray(r * V, (r + 1) * V);
      const want = topK(row, k);
      expect(Array.from(ids.subarray(r * k, (r + 1) * k))).toEqual(want);
      expect(Array.from(values.subarray(r * k, (r + 1) * k))).toEqual(want.map((i) => row[i]));
    }
    await session.release();
  });

  it("adds nodes with int, ints, float and string attributes, drops those nothing reads, refuses clashes", () => {
    const g = new GraphBuilder(17);
    const x = g.input("x", OnnxDataType.FLOAT, [3]);
    g.output(g.op("Neg", [x], undefined, "neg"), "y", OnnxDataType.FLOAT, [3]);
    const bytes = encodeBuilt(g);
    const attribute = [
      { name: "n", type: OnnxAttributeType.INT, i: -3 },
      { name: "ns", type: OnnxAttributeType.INTS, ints: [4, -1] },
      { name: "f", type: OnnxAttributeType.FLOAT, f: 0.5 },
      { name: "s", type: OnnxAttributeType.STRING, s: new TextEncoder().encode("mode") },
    ];
    const edited = editOnnxGraph(bytes, {
      addNodes: [
        { opType: "Foo", domain: "test.custom", name: "foo", input: ["x"], output: ["foo_out"], attribute },
        { opType: "Abs", name: "unread", input: ["x"], output: ["unread_out"], attribute: [] },
      ],
      addOutputs: [{ name: "foo_out", dataType: OnnxDataType.FLOAT, dims: ["n", 3] }],
    });
    const model = decodeOnnxModel(edited.bytes);
    expect(model.graph.node.map((n) => n.opType)).toEqual(["Neg", "Identity", "Foo"]);
    const foo = model.graph.node[2]!;
    expect([foo.domain, foo.input, foo.output]).toEqual(["test.custom", ["x"], ["foo_out"]]);
    expect(foo.attribute).toMatchObject(attribute); // decoding adds empty repeated fields
    expect(model.graph.output.map((o) => o.name)).toEqual(["y", "foo_out"]);

    const add = (edits: Parameters<typeof editOnnxGraph>[1]) => () => editOnnxGraph(bytes, edits, "m.onnx");
    const spec = (name: string) => [{ name, dataType: OnnxDataType.FLOAT, dims: [3] }];
    expect(add({ addInputs: spec("x") })).toThrow('m.onnx: cannot add input "x": the graph has that value');
    expect(
      add({ addNodes: [{ opType: "Abs", name: "a", input: ["x"], output: ["y"], attribute: [] }] }),
    ).toThrow('m.onnx: cannot add Abs node output "y"');
    expect(add({ addOutputs: spec("y") })).toThrow(
      'm.onnx: cannot add output "y": the graph has that output',
    );
    expect(add({ addOutputs: spec("nothing") })).toThrow(/m\.onnx: cannot add output "nothing": no input/);
  });
});

describe("readGraphSignature", () => {
  it("gives the inputs and outputs onnxruntime reports for the session, without loading it", async () => {
    for (const variant of ["plain", "contrib"] as const) {
      const { bytes } = await exported(variant);
      const signature = readGraphSignature(bytes);
      const session = await ort.InferenceSession.create(bytes);
      const asOrt = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
        list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name }));
      const ortType = new Map<number, string>([
        [OnnxDataType.FLOAT, "float32"],
        [OnnxDataType.INT64, "int64"],
      ]);
      const ours = (list: readonly GraphValueSignature[]) =>
        list.map((v) => ({ name: v.name, type: ortType.get(v.dataType), shape: v.dims }));
      expect(ours(signature.inputs)).toEqual(asOrt(session.inputMetadata));
      expect(ours(signature.outputs)).toEqual(asOrt(session.outputMetadata));
      expect(signature.opTypes.includes("GroupQueryAttention")).toBe(variant === "contrib");
      expect(signature.opTypes).toContain("Gemm");
      expect(signature.opset).toBe(17); // our exports' default-domain opset
      await session.release();
    }
    expect(() => readGraphSignature(Uint8Array.of(0x3a, 0x05, 0x01), "x.onnx")).toThrow(
      /x\.onnx: not a readable/,
    );
  });
});
