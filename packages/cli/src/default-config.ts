/**
 * The embedded default: the whole pipeline on the tiny in-repo model (@ssb/default-model), sized to finish
 * within the 15-minute budget on a 2-core CPU (see the README for the measured stage times).
 */
import type { PipelineConfig } from "./config-schema.js";

export const DEFAULT_CONFIG: PipelineConfig = {
  seed: 20261127,
  model: "default",
  workDir: "ssb-run",
  onnxVariant: "contrib",
  threads: 0,
  executionProvider: "cpu",
  problems: {
    // The default model's own pre-training data (packages/default-model/model/training.json).
    generator: {
      seed: 20261127,
      pretrainProblems: 8000,
      heldOutProblems: 500,
      minSteps: 2,
      maxSteps: 5,
      maxStart: 12,
      maxOperand: 5,
    },
    train: 800,
    eval: 500,
  },
  rollout: { samples: 4, temperature: 0.8, topK: 50, topP: 1, maxNewTokens: 160, batchSize: 32 },
  curation: {
    teacher: { temperature: 0.4, topK: 50, topP: 1, maxNewTokens: 160 },
    logitK: 20,
    logitCompression: "none",
    maxAttempts: 1,
    template: "default",
    batchSize: 32,
  },
  distill: {
    mode: "kd",
    trainable: "lora",
    lora: { r: 32, alpha: 32, dropout: 0 },
    loss: { divergence: "forward-kl", temperature: 2 },
    // The paper's 2e-4 is for a 3B model and hundreds of steps; the default run is a 0.9M-parameter model and a
    // few dozen steps, so it takes a larger step (a choice, not the result of a sweep).
    optimizer: { lr: 1e-3 },
    batchSize: 4,
    epochs: 2,
    workers: 2,
    checkpointEvery: 10,
    keepCheckpoints: 1,
  },
  eval: { samples: 1, temperature: 0, topK: 0, topP: 1, maxNewTokens: 160, batchSize: 32 },
};
