/**
 * Training checkpoints: `checkpoints/step-<n>/` holding the adapter in PEFT format (LoRA) or the raw trainable
 * tensors (full-parameter), the AdamW moments, and `trainer_state.json` (written last). A checkpoint is built
 * in a temporary folder and renamed into place, so a kill at any moment leaves either the old set or the new
 * one, never a half-written checkpoint under a real name.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type LoraConfig, openSafetensors, type TensorToWrite, writeSafetensors } from "@ssb/model";
import type { AdamW } from "./adamw.js";
import type { BackendSpan } from "./backend-record.js";
import {
  f32,
  latestCheckpointWith,
  restoreLoraCheckpoint,
  restoreOptimizerState,
  saveLoraCheckpoint,
  saveOptimizerState,
  writeCheckpointDir,
} from "./checkpoint-files.js";
import { type DecoderModel, trainableVariables } from "./model.js";
import { tf } from "./tf.js";
import type { TrainConfig } from "./train-config.js";

export { checkpointDirName, pruneCheckpoints } from "./checkpoint-files.js";

export const TRAINER_STATE_FILE = "trainer_state.json";
const PARAMS_FILE = "params.safetensors";

export interface TrainerState {
  /** Optimizer steps completed. */
  step: number;
  totalSteps: number;
  epoch: number;
  config: TrainConfig;
  /** Fingerprints of what the run trains on (base model, data, teacher logits), compared on resume. */
  inputs?: Record<string, string>;
  /** Which backend trained which steps (absent in older checkpoints; their steps are not in it). */
  backends?: BackendSpan[];
  savedAt: string;
}

export async function saveTrainingCheckpoint(
  root: string,
  model: DecoderModel,
  loraConfig: LoraConfig | null,
  optimizer: AdamW,
  state: TrainerState,
): Promise<string> {
  return writeCheckpointDir(root, state.step, async (dir) => {
    if (model.trainable === "lora") {
      if (!loraConfig) throw new Error("saveTrainingCheckpoint: a LoRA model needs its LoraConfig");
      await saveLoraCheckpoint(dir, model.lora, loraConfig);
    } else {
      const params = new Map<string, TensorToWrite>();
      for (const [i, v] of trainableVariables(model).entries()) params.set(`p.${i}`, f32(v));
      await writeSafetensors(path.join(dir, PARAMS_FILE), params);
    }
    await saveOptimizerState(dir, optimizer);
    await writeFile(path.join(dir, TRAINER_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  });
}

/** The newest complete checkpoint under `root` (one with its trainer_state.json), or null. */
export const latestCheckpoint = (root: string): Promise<{ dir: string; state: TrainerState } | null> =>
  latestCheckpointWith<TrainerState>(root, TRAINER_STATE_FILE);

/** Load variables and optimizer moments from a checkpoint into an already built model and optimizer. */
export async function restoreTrainingCheckpoint(
  dir: string,
  model: DecoderModel,
  optimizer: AdamW,
): Promise<void> {
  if (model.trainable === "lora") {
    await restoreLoraCheckpoint(dir, model.lora);
  } else {
    const reader = await openSafetensors(path.join(dir, PARAMS_FILE));
    const vars = trainableVariables(model);
    for (let i = 0; i < vars.length; i++) {
      const t = await reader.readFloat32(`p.${i}`);
      tf.tidy(() => (vars[i] as tf.Variable).assign(tf.tensor(t.data, t.shape)));
    }
    await reader.close();
  }
  await restoreOptimizerState(dir, optimizer);
}
