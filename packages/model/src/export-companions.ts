/**
 * The config and tokenizer files an export copies beside the graph are checked before it: a copy of a truncated
 * tokenizer.json would make an export that looks complete and fails only when a runtime loads it.
 */

import path from "node:path";
import { readJsonFile } from "./config.js";
import { isFile } from "./is-file.js";
import { ModelFileError } from "./json-fields.js";
import {
  CHAT_TEMPLATE_FILE,
  loadTokenizer,
  type ModelTokenizer,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
} from "./tokenizer.js";

/**
 * Throws (naming the file) for a JSON file among `names` in `modelDir` that does not parse. Returns a warning when
 * tokenizer.json is there but the tokenizer does not load (a chat template that does not parse, a tokenizer.json
 * the tokenizers library refuses): the weights are still the model, and a runtime with its own template may use
 * them, but ssb-rollout and the other jobs cannot load its tokenizer. (A tokenizer without a chat template loads:
 * a base model's.) Throws when the tokenizer has more tokens than `vocabSize` (config.json's).
 */
export async function checkCompanionFiles(
  modelDir: string,
  names: readonly string[],
  vocabSize: number,
): Promise<string | null> {
  for (const name of names) {
    const file = path.join(modelDir, name);
    if (name.endsWith(".json") && (await isFile(file))) await readJsonFile(file);
  }
  if (!(await isFile(path.join(modelDir, TOKENIZER_FILE)))) return null;
  let tokenizer: ModelTokenizer;
  try {
    tokenizer = await loadTokenizer(modelDir);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `warning: ${reason}; the export's tokenizer cannot be loaded (by ssb-rollout either), so it takes only token-id prompts; fix the file in ${modelDir} and export again`;
  }
  // As loadCheckpoint refuses it: ids past the embedding table are another model's tokenizer, and the graph's
  // Gather would fail (or read garbage) on the first such id.
  if (tokenizer.vocabSize > vocabSize) {
    throw new ModelFileError(
      path.join(modelDir, TOKENIZER_FILE),
      `the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${vocabSize}; is it another model's tokenizer?`,
    );
  }
  // tokenizer.json alone loads, but without tokenizer_config.json the export has no chat template and no
  // eos_token: chat prompts cannot be rendered from it (a partial download or copy, most often).
  if (
    !(await isFile(path.join(modelDir, TOKENIZER_CONFIG_FILE))) &&
    !(await isFile(path.join(modelDir, CHAT_TEMPLATE_FILE)))
  ) {
    return `warning: ${path.join(modelDir, TOKENIZER_CONFIG_FILE)} is missing: the export has no chat template or special-token settings, so chat prompts cannot be rendered from it; put the model's tokenizer_config.json in ${modelDir} and export again`;
  }
  return null;
}
