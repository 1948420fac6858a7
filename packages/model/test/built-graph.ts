import type { GraphBuilder } from "../src/onnx-graph.js";
import { encodeOnnxModel, ONNX_IR_VERSION } from "../src/onnx-proto.js";

/** A model holding the builder's graph (no initializers), serialized: what the edit tests read. */
export function encodeBuilt(g: GraphBuilder): Uint8Array {
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [...g.opsets].map(([domain, version]) => ({ domain, version })),
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
}
