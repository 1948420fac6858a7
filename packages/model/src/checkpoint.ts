import {
  type CheckpointWeights,
  type OpenCheckpointWeightsOptions,
  openCheckpointWeights,
  weightsWhere,
} from "./checkpoint-weights.js";
import { type GenerationConfig, loadGenerationConfig, loadModelConfig, type ModelConfig } from "./config.js";
import { ModelFileError } from "./json-fields.js";
import { loadTokenizer, type ModelTokenizer } from "./tokenizer.js";
import { checkWeightShapes } from "./weight-names.js";

/** A HF checkpoint folder opened for reading: configs parsed, weights indexed (not loaded). */
export interface Checkpoint {
  dir: string;
  config: ModelConfig;
  generationConfig: GenerationConfig;
  weights: CheckpointWeights;
  /** Loaded only with `{ tokenizer: true }`; null otherwise. */
  tokenizer: ModelTokenizer | null;
  /** Releases the weight files. */
  close(): Promise<void>;
}

export interface LoadCheckpointOptions extends OpenCheckpointWeightsOptions {
  /** Check every expected weight's presence and shape against the config (default true). */
  validate?: boolean;
  /**
   * Also load `tokenizer.json` / `tokenizer_config.json` (default false: export and training from
   * ids do not need it, and the Qwen tokenizer JSON is 11 MB). Its ids are checked to fit the
   * embedding table.
   */
  tokenizer?: boolean;
}

/**
 * Open a checkpoint folder: `config.json`, `generation_config.json` (defaults when absent), and the
 * safetensors weights (sharded or not). Only headers are read; tensors load on demand.
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  const config = await loadModelConfig(dir);
  const generationConfig = await loadGenerationConfig(dir, config);
  const tokenizer = options.tokenizer ? await loadTokenizer(dir) : null;
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new ModelFileError(
      dir,
      `the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`,
    );
  }
  const weights = await openCheckpointWeights(dir, options);
  try {
    if (options.validate !== false) checkWeightShapes(config, weights, weightsWhere(weights));
  } catch (error) {
    await weights.close();
    throw error;
  }
  return { dir, config, generationConfig, weights, tokenizer, close: () => weights.close() };
}
