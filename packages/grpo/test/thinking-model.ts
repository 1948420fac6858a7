/**
 * The tiny reference with a Qwen3-style generation prompt: when `enable_thinking` is false the template opens
 * the reply with an empty think block (Qwen3's own template does the same), else it leaves the reply open.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { tinyRef } from "./fixtures.js";

/** What Qwen3's template appends after `<|im_start|>assistant\n` when thinking is off. */
export const EMPTY_THINK_BLOCK = "<think>\n\n</think>\n\n";

/** Write the model into `dir` (created); returns `dir`. */
export async function writeThinkingModel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"])
    copyFileSync(path.join(tinyRef, f), path.join(dir, f));
  const config = JSON.parse(readFileSync(path.join(tinyRef, "tokenizer_config.json"), "utf8"));
  config.chat_template = `${config.chat_template}{% if add_generation_prompt and enable_thinking is defined and enable_thinking is false %}{{ '${EMPTY_THINK_BLOCK.replace(/\n/g, "\\n")}' }}{% endif %}`;
  writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(config));
  return dir;
}
