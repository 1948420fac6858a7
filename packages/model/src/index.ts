export * from "./adapter.js";
export * from "./chat-template.js";
export * from "./checkpoint.js";
export * from "./checkpoint-weights.js";
export * from "./config.js";
export * from "./dtype.js";
export * from "./export-decoder.js";
export * from "./export-onnx.js";
export * from "./genai-config.js";
export { type JsonObject, ModelFileError } from "./json-fields.js";
export {
  type EditResult,
  editOnnxGraph,
  type GraphEdits,
  type GraphValueSignature,
  readGraphSignature,
  type TensorValueSpec,
} from "./onnx-edit.js";
export * from "./onnx-graph.js";
export * from "./onnx-proto.js";
export * from "./rope.js";
export * from "./safetensors.js";
export * from "./safetensors-writer.js";
export * from "./tokenizer.js";
export * from "./weight-names.js";
