export * from "./checkpoint.js";
export * from "./checkpoint-weights.js";
export * from "./config.js";
export * from "./dtype.js";
export { ModelFileError } from "./json-fields.js";
export * from "./rope.js";
export * from "./safetensors.js";
export * from "./safetensors-writer.js";
export * from "./weight-names.js";
