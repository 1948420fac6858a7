/** readCacheAppends: the step's KV columns behind `present = Concat(past, step)`, and where there are none. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBuilt } from "../test/built-graph.js";
import { tinyRefDir } from "../test/paths.js";
import { decoderIo } from "./export-decoder.js";
import { exportOnnx } from "./export-onnx.js";
import { readCacheAppends } from "./onnx-cache-append.js";
import { GraphBuilder } from "./onnx-graph.js";
import { readOutputSource } from "./onnx-output-source.js";
import { OnnxDataType } from "./onnx-proto.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-cache-append-test-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const pairs = (layers: number) =>
  Array.from({ length: layers }, (_, l) => [
    { past: decoderIo.pastKey(l), present: decoderIo.presentKey(l) },
    { past: decoderIo.pastValue(l), present: decoderIo.presentValue(l) },
  ]).flat();

describe("readCacheAppends", () => {
  it("finds the plain export's new columns: the values it also returns as new_key_values.*", async () => {
    const result = await exportOnnx({ modelDir: tinyRefDir, outDir: path.join(workDir, "plain") });
    const bytes = await readFile(result.modelFile);
    const found = readCacheAppends(bytes, pairs(2));
    // The export returns the same values as new_key_values.* (through an Identity each).
    const returned = [0, 1].flatMap((l) =>
      [decoderIo.newKey(l), decoderIo.newValue(l)].map((name) => readOutputSource(bytes, name)?.value),
    );
    expect(found).toEqual(returned);
    expect(new Set(found).size).toBe(4);
  });

  it("finds none where GroupQueryAttention writes present (the contrib export)", async () => {
    const result = await exportOnnx({
      modelDir: tinyRefDir,
      outDir: path.join(workDir, "contrib"),
      variant: "contrib",
    });
    expect(readCacheAppends(await readFile(result.modelFile), pairs(2))).toEqual([null, null, null, null]);
  });

  it("follows Identity nodes, and refuses another axis, a cast past, a non-input past and unknown names", () => {
    const g = new GraphBuilder(17);
    const F = OnnxDataType.FLOAT;
    const dims = ["b", 2, "s", 4];
    const past = ["p0", "p1", "p2"].map((name) => g.input(name, F, dims));
    const step = g.input("step", F, dims);
    // p0: Concat on axis -2 behind two Identities; p1: Concat on axis 1; p2: Concat of a Cast of the past.
    const c0 = g.op("Concat", [past[0] as string, step], { axis: -2 });
    g.output(g.op("Identity", [c0]), "present0", F, dims);
    g.output(g.op("Concat", [past[1] as string, step], { axis: 1 }), "present1", F, dims);
    const cast = g.op("Cast", [past[2] as string], { to: OnnxDataType.FLOAT });
    g.output(g.op("Concat", [cast, step], { axis: 2 }), "present2", F, dims);
    const found = readCacheAppends(encodeBuilt(g), [
      { past: "p0", present: "present0" },
      { past: "p1", present: "present1" },
      { past: "p2", present: "present2" },
      { past: c0, present: "present0" }, // not a graph input
      { past: "p0", present: "nope" },
    ]);
    expect(found).toEqual(["step", null, null, null, null]);
    expect(() => readCacheAppends(Uint8Array.of(0x3a, 0x05, 0x01), [], "x.onnx")).toThrow(/x\.onnx/);
  });
});
