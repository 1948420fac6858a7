/**
 * Training checkpoints: `checkpoints/step-<n>/` holding the adapter in PEFT format (LoRA) or the raw trainable
 * tensors (full-parameter), the AdamW moments, and `trainer_state.json` (written last). A checkpoint is built
 * in a temporary folder and renamed into place, so a kill at any moment leaves either the old set or the new
 * one, never a half-written checkpoint under a real name.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type LoraConfig,
  loadAdapter,
  openSafetensors,
  saveAdapter,
  type TensorToWrite,
  writeSafetensors,
} from "@ssb/model";
import * as tf from "@tensorflow/tfjs";
import type { AdamW } from "./adamw.js";
import { loraToAdapter } from "./lora.js";
import { type DecoderModel, trainableVariables } from "./model.js";
import type { TrainConfig } from "./train-config.js";

export const TRAINER_STATE_FILE = "trainer_state.json";
const OPTIMIZER_FILE = "optimizer.safetensors";
const PARAMS_FILE = "params.safetensors";

export interface TrainerState {
  /** Optimizer steps completed. */
  step: number;
  totalSteps: number;
  epoch: number;
  config: TrainConfig;
  savedAt: string;
}

export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

function f32(t: tf.Tensor): { dtype: "F32"; shape: number[]; data: () => Float32Array } {
  return { dtype: "F32", shape: t.shape, data: () => t.dataSync() as Float32Array };
}

export async function saveTrainingCheckpoint(
  root: string,
  model: DecoderModel,
  loraConfig: LoraConfig | null,
  optimizer: AdamW,
  state: TrainerState,
): Promise<string> {
  const final = path.join(root, checkpointDirName(state.step));
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  if (model.trainable === "lora") {
    if (!loraConfig) throw new Error("saveTrainingCheckpoint: a LoRA model needs its LoraConfig");
    await saveAdapter(path.join(tmp, "adapter"), loraToAdapter(model.lora, loraConfig));
  } else {
    const params = new Map<string, TensorToWrite>();
    for (const [i, v] of trainableVariables(model).entries()) params.set(`p.${i}`, f32(v));
    await writeSafetensors(path.join(tmp, PARAMS_FILE), params);
  }
  const moments = new Map<string, TensorToWrite>();
  optimizer.m.forEach((m, i) => {
    moments.set(`m.${i}`, f32(m));
    moments.set(`v.${i}`, f32(optimizer.v[i] as tf.Variable));
  });
  await writeSafetensors(path.join(tmp, OPTIMIZER_FILE), moments, { adam_step: String(optimizer.step) });
  await writeFile(path.join(tmp, TRAINER_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  return final;
}

/** The newest complete checkpoint under `root` (one with its trainer_state.json), or null. */
export async function latestCheckpoint(root: string): Promise<{ dir: string; state: TrainerState } | null> {
  if (!existsSync(root)) return null;
  const names = (await readdir(root)).filter((n) => /^step-\d+$/.test(n)).sort();
  for (let i = names.length - 1; i >= 0; i--) {
    const dir = path.join(root, names[i] as string);
    const stateFile = path.join(dir, TRAINER_STATE_FILE);
    if (!existsSync(stateFile)) continue;
    return { dir, state: JSON.parse(await readFile(stateFile, "utf8")) as TrainerState };
  }
  return null;
}

/** Delete step checkpoints beyond the newest `keep` ones (and any leftover .tmp folders). */
export async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  if (!existsSync(root)) return;
  const all = await readdir(root);
  for (const n of all.filter((n) => n.endsWith(".tmp")))
    await rm(path.join(root, n), { recursive: true, force: true });
  const steps = all.filter((n) => /^step-\d+$/.test(n)).sort();
  for (const n of steps.slice(0, Math.max(0, steps.length - keep)))
    await rm(path.join(root, n), { recursive: true, force: true });
}

/** Load variables and optimizer moments from a checkpoint into an already built model and optimizer. */
export async function restoreTrainingCheckpoint(
  dir: string,
  model: DecoderModel,
  optimizer: AdamW,
): Promise<void> {
  if (model.trainable === "lora") {
    const adapter = await loadAdapter(path.join(dir, "adapter"));
    for (const [modulePath, layer] of model.lora) {
      const weights = adapter.modules.get(modulePath);
      if (!weights) throw new Error(`${dir}: the checkpoint's adapter has no module "${modulePath}"`);
      const [inDim, r] = layer.aT.shape as [number, number];
      const out = layer.bT.shape[1] as number;
      tf.tidy(() => {
        layer.aT.assign(tf.transpose(tf.tensor2d(weights.a.data, [r, inDim])));
        layer.bT.assign(tf.transpose(tf.tensor2d(weights.b.data, [out, r])));
      });
    }
  } else {
    const reader = await openSafetensors(path.join(dir, PARAMS_FILE));
    const vars = trainableVariables(model);
    for (let i = 0; i < vars.length; i++) {
      const t = await reader.readFloat32(`p.${i}`);
      tf.tidy(() => (vars[i] as tf.Variable).assign(tf.tensor(t.data, t.shape)));
    }
    await reader.close();
  }
  const reader = await openSafetensors(path.join(dir, OPTIMIZER_FILE));
  for (let i = 0; i < optimizer.m.length; i++) {
    const m = await reader.readFloat32(`m.${i}`);
    const v = await reader.readFloat32(`v.${i}`);
    tf.tidy(() => {
      (optimizer.m[i] as tf.Variable).assign(tf.tensor(m.data, m.shape));
      (optimizer.v[i] as tf.Variable).assign(tf.tensor(v.data, v.shape));
    });
  }
  optimizer.step = Number(reader.metadata.adam_step ?? "0");
  await reader.close();
}
