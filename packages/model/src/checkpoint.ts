import {
  type CheckpointWeights,
  type OpenCheckpointWeightsOptions,
  openCheckpointWeights,
} from "./checkpoint-weights.js";
import { type GenerationConfig, loadGenerationConfig, loadModelConfig, type ModelConfig } from "./config.js";
import { checkWeightShapes } from "./weight-names.js";

/** A HF checkpoint folder opened for reading: configs parsed, weights indexed (not loaded). */
export interface Checkpoint {
  dir: string;
  config: ModelConfig;
  generationConfig: GenerationConfig;
  weights: CheckpointWeights;
  /** Releases the weight files. */
  close(): Promise<void>;
}

export interface LoadCheckpointOptions extends OpenCheckpointWeightsOptions {
  /** Check every expected weight's presence and shape against the config (default true). */
  validate?: boolean;
}

/**
 * Open a checkpoint folder: `config.json`, `generation_config.json` (defaults when absent), and the
 * safetensors weights (sharded or not). Only headers are read; tensors load on demand.
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  const config = await loadModelConfig(dir);
  const generationConfig = await loadGenerationConfig(dir, config);
  const weights = await openCheckpointWeights(dir, options);
  try {
    if (options.validate !== false) checkWeightShapes(config, weights, dir);
  } catch (error) {
    await weights.close();
    throw error;
  }
  return { dir, config, generationConfig, weights, close: () => weights.close() };
}
