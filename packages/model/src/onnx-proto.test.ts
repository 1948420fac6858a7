import { describe, expect, it } from "vitest";
import { floatAttr, GraphBuilder } from "./onnx-graph.js";
import { decodeOnnxModel, encodeOnnxModel, OnnxDataType } from "./onnx-proto.js";

describe("ONNX protobuf subset", () => {
  it("uses onnx.proto's field numbers on the wire", () => {
    // ir_version = field 1 varint; producer_name = field 2 string; opset_import = field 8 message
    const bytes = encodeOnnxModel({
      irVersion: 8,
      producerName: "p",
      producerVersion: "",
      opsetImport: [{ domain: "", version: 17 }],
      graph: { name: "g", node: [], initializer: [], input: [], output: [] },
    });
    expect(Array.from(bytes.subarray(0, 2))).toEqual([0x08, 0x08]); // tag(1, varint), 8
    expect(Array.from(bytes.subarray(2, 5))).toEqual([0x12, 0x01, 0x70]); // tag(2, len), 1, "p"
    // graph (field 7, len) holding name (field 2) "g"
    const graphAt = bytes.indexOf(0x3a);
    expect(Array.from(bytes.subarray(graphAt, graphAt + 5))).toEqual([0x3a, 0x03, 0x12, 0x01, 0x67]);
    // opset_import (field 8, len) holding domain (field 1) "" and version (field 2 varint) 17
    const opsetAt = bytes.lastIndexOf(0x42);
    expect(Array.from(bytes.subarray(opsetAt, opsetAt + 6))).toEqual([0x42, 0x04, 0x0a, 0x00, 0x10, 0x11]);
  });

  it("round-trips a small graph", async () => {
    const g = new GraphBuilder(17);
    const x = g.input("x", OnnxDataType.FLOAT, ["batch", 3]);
    const w = g.float32([1, 2, 3], [3], "w");
    const y = g.op("Mul", [x, w]);
    const z = g.op("LeakyRelu", [y], { alpha: floatAttr(0.5) });
    g.output(z, "z", OnnxDataType.FLOAT, ["batch", 3]);
    const init = g.initializers[0]!;
    const decoded = decodeOnnxModel(
      encodeOnnxModel({
        irVersion: 8,
        producerName: "test",
        producerVersion: "1",
        opsetImport: [...g.opsets].map(([domain, version]) => ({ domain, version })),
        graph: {
          name: "g",
          node: g.nodeProtos(),
          initializer: [
            { name: init.name, dims: init.dims, dataType: init.dataType, rawData: await init.load() },
          ],
          input: g.inputProtos(),
          output: g.outputProtos(),
        },
      }),
    );
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(["Mul", "LeakyRelu", "Identity"]);
    expect(decoded.graph.node[1]!.attribute[0]).toMatchObject({ name: "alpha", type: 1, f: 0.5 });
    const raw = decoded.graph.initializer[0]!.rawData!;
    expect(Array.from(new Float32Array(Uint8Array.from(raw).buffer))).toEqual([1, 2, 3]);
    expect(decoded.graph.input[0]!.type.tensorType.shape.dim).toEqual([
      { dimParam: "batch" },
      { dimValue: 3 },
    ]);
  });
});

describe("GraphBuilder", () => {
  it("refuses a value name used twice and non-integer int attributes", () => {
    const g = new GraphBuilder(17);
    g.input("x", OnnxDataType.FLOAT, [1]);
    expect(() => g.input("x", OnnxDataType.FLOAT, [1])).toThrow(/used twice/);
    expect(() => g.op("Relu", ["x"], { alpha: 0.5 })).toThrow(/not an integer/);
  });

  it("shares equal constants and checks initializer sizes", () => {
    const g = new GraphBuilder(17);
    expect(g.int64([1, 2])).toBe(g.int64([1, 2]));
    expect(g.int64([1, 2])).not.toBe(g.int64([2, 1]));
    expect(() => g.initializer("bad", OnnxDataType.FLOAT, [2, 2], new Float32Array(3))).toThrow(
      /expected 16/,
    );
  });
});
