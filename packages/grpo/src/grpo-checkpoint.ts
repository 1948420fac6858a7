/**
 * GRPO checkpoints: `checkpoints/step-XXXXXXXX/` with the LoRA as a PEFT adapter, the AdamW moments and
 * `grpo_state.json` (written last). Built in a temporary folder and renamed into place, so a kill leaves only
 * complete checkpoints. Nothing else is needed to resume: problem order, sampling seeds and dropout masks are
 * functions of (seed, step), and the ONNX policy is re-exported from the restored LoRA.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { type AdamW, checkpointDirName, type LoraLayer, loraToAdapter } from "@ssb/distill";
import {
  type LoraConfig,
  loadAdapter,
  openSafetensors,
  saveAdapter,
  type TensorToWrite,
  writeSafetensors,
} from "@ssb/model";
import * as tf from "@tensorflow/tfjs";
import type { GrpoConfig } from "./grpo-config.js";

export const GRPO_STATE_FILE = "grpo_state.json";
const OPTIMIZER_FILE = "optimizer.safetensors";

export interface GrpoState {
  /** Rounds completed. */
  step: number;
  config: GrpoConfig;
  /** Wall time of the run so far (seconds), carried across resumes. */
  elapsedSec: number;
  savedAt: string;
}

const f32 = (t: tf.Tensor): TensorToWrite => ({
  dtype: "F32",
  shape: t.shape,
  data: () => t.dataSync() as Float32Array,
});

export async function saveGrpoCheckpoint(
  root: string,
  lora: Map<string, LoraLayer>,
  loraConfig: LoraConfig,
  optimizer: AdamW,
  state: GrpoState,
): Promise<string> {
  const final = path.join(root, checkpointDirName(state.step));
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await saveAdapter(path.join(tmp, "adapter"), loraToAdapter(lora, loraConfig));
  const moments = new Map<string, TensorToWrite>();
  optimizer.m.forEach((m, i) => {
    moments.set(`m.${i}`, f32(m));
    moments.set(`v.${i}`, f32(optimizer.v[i] as tf.Variable));
  });
  await writeSafetensors(path.join(tmp, OPTIMIZER_FILE), moments, { adam_step: String(optimizer.step) });
  await writeFile(path.join(tmp, GRPO_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  return final;
}

/** The newest complete checkpoint under `root`, or null. */
export async function latestGrpoCheckpoint(root: string): Promise<{ dir: string; state: GrpoState } | null> {
  if (!existsSync(root)) return null;
  const names = (await readdir(root)).filter((n) => /^step-\d+$/.test(n)).sort();
  for (let i = names.length - 1; i >= 0; i--) {
    const dir = path.join(root, names[i] as string);
    const file = path.join(dir, GRPO_STATE_FILE);
    if (existsSync(file)) return { dir, state: JSON.parse(await readFile(file, "utf8")) as GrpoState };
  }
  return null;
}

/** Keep the newest `keep` checkpoints; drop leftover .tmp folders. */
export async function pruneGrpoCheckpoints(root: string, keep: number): Promise<void> {
  if (!existsSync(root)) return;
  const all = await readdir(root);
  for (const n of all.filter((n) => n.endsWith(".tmp")))
    await rm(path.join(root, n), { recursive: true, force: true });
  const steps = all.filter((n) => /^step-\d+$/.test(n)).sort();
  for (const n of steps.slice(0, Math.max(0, steps.length - keep)))
    await rm(path.join(root, n), { recursive: true, force: true });
}

/** Load a checkpoint's LoRA and AdamW moments into the live variables. */
export async function restoreGrpoCheckpoint(
  dir: string,
  lora: Map<string, LoraLayer>,
  optimizer: AdamW,
): Promise<void> {
  const adapter = await loadAdapter(path.join(dir, "adapter"));
  for (const [modulePath, layer] of lora) {
    const w = adapter.modules.get(modulePath);
    if (!w) throw new Error(`${dir}: the checkpoint's adapter has no module "${modulePath}"`);
    const [inDim, r] = layer.aT.shape as [number, number];
    const out = layer.bT.shape[1] as number;
    tf.tidy(() => {
      layer.aT.assign(tf.transpose(tf.tensor2d(w.a.data, [r, inDim])));
      layer.bT.assign(tf.transpose(tf.tensor2d(w.b.data, [out, r])));
    });
  }
  const reader = await openSafetensors(path.join(dir, OPTIMIZER_FILE));
  try {
    for (let i = 0; i < optimizer.m.length; i++) {
      const m = await reader.readFloat32(`m.${i}`);
      const v = await reader.readFloat32(`v.${i}`);
      tf.tidy(() => {
        (optimizer.m[i] as tf.Variable).assign(tf.tensor(m.data, m.shape));
        (optimizer.v[i] as tf.Variable).assign(tf.tensor(v.data, v.shape));
      });
    }
    optimizer.step = Number(reader.metadata.adam_step ?? "0");
  } finally {
    await reader.close();
  }
}
