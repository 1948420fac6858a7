export * from "./config.js";
export { ModelFileError } from "./json-fields.js";
export * from "./rope.js";
