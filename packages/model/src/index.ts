export { closestKey } from "@ssb/cli-kit";
export * from "./adapter.js";
export * from "./chat-template.js";
export * from "./chat-template-kwargs.js";
export * from "./checkpoint.js";
export * from "./checkpoint-weights.js";
export * from "./config.js";
export * from "./dtype.js";
export * from "./export-decoder.js";
export * from "./export-onnx.js";
export { describeExportResult, exportOutRefusal } from "./export-report.js";
export { checkpointFingerprint, fileEdgesFingerprint } from "./file-fingerprint.js";
export * from "./genai-config.js";
export { type JsonObject, ModelFileError } from "./json-fields.js";
export { type CachePair, readCacheAppends } from "./onnx-cache-append.js";
export { type EditResult, editOnnxGraph, type GraphEdits, type TensorValueSpec } from "./onnx-edit.js";
export * from "./onnx-graph.js";
export { type LogSumExpNames, logSumExpEdits } from "./onnx-log-sum-exp.js";
export { type OutputSource, readOutputSource } from "./onnx-output-source.js";
export * from "./onnx-proto.js";
export { type GraphSignature, type GraphValueSignature, readGraphSignature } from "./onnx-signature.js";
export { type TopKNames, topKEdits } from "./onnx-top-k.js";
export * from "./rope.js";
export * from "./safetensors.js";
export * from "./safetensors-writer.js";
export {
  isTemplateDate,
  parseTemplateDate,
  strftime,
  templateDateString,
  templateReadsDate,
} from "./template-date.js";
export * from "./tokenizer.js";
export * from "./weight-names.js";
