export { type CapturedTopk, captureTopk } from "./capture-topk.js";
export { type CompressionCodec, type CompressionName, registerCompressionCodec } from "./compression.js";
export { LogitStoreError } from "./errors.js";
export {
  float16BitsToFloat32,
  float16BitsToFloat32Array,
  float32ArrayToFloat16Bits,
  float32ToFloat16Bits,
} from "./float16.js";
export {
  type TemperatureOptions,
  type TopkRows,
  tailMass,
  topkDistributionAtTemperature,
  topkLogitsAsFloat32,
  topkLogProbs,
} from "./logit-math.js";
export type { ExampleEntry, Manifest, ShardEntry } from "./manifest.js";
export {
  type ExampleLogits,
  LogitStore,
  logitStoreExists,
  type OpenLogitStoreOptions,
  openLogitStore,
} from "./reader.js";
export {
  FORMAT_VERSION,
  type LogitDtype,
  type LogitSchemaMeta,
  type LogitSchemaMetaInput,
} from "./schema-meta.js";
export type { BatchLocation } from "./shard-file-writer.js";
export type { TokenRows } from "./token-rows.js";
export {
  type CloseResult,
  LogitStoreWriter,
  type LogitStoreWriterOptions,
  openLogitStoreWriter,
} from "./writer.js";
export { enableZstd } from "./zstd.js";
