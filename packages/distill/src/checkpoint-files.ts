/**
 * The pieces every trainer's checkpoints share (the KD/SFT trainer here, @ssb/grpo): `step-<n>/` folders built
 * in a temporary folder and renamed into place (a kill leaves only complete checkpoints), the AdamW moments in
 * one safetensors file, the LoRA as a PEFT adapter, and finding / pruning the newest ones by their state file.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fsyncDir, fsyncTree, parseJsonObjectFile } from "@ssb/durable-files";
import {
  type LoraConfig,
  loadAdapter,
  openSafetensors,
  saveAdapter,
  type TensorToWrite,
  writeSafetensors,
} from "@ssb/model";
import type { AdamW } from "./adamw.js";
import { type LoraLayer, loraToAdapter } from "./lora.js";
import { tf } from "./tf.js";

const OPTIMIZER_FILE = "optimizer.safetensors";
const STEP_DIR = /^step-\d+$/;

export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

export function f32(t: tf.Tensor): TensorToWrite {
  return { dtype: "F32", shape: t.shape, data: () => t.dataSync() as Float32Array };
}

/** Build `root/step-<n>/` through `fill(tmpDir)` in a temporary folder, fsync it, then rename it into place. */
export async function writeCheckpointDir(
  root: string,
  step: number,
  fill: (dir: string) => Promise<void>,
): Promise<string> {
  const final = path.join(root, checkpointDirName(step));
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await fill(tmp);
  // On disk before it is in view: the rename makes a checkpoint kill-safe, the syncs power-loss-safe.
  fsyncTree(tmp);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  fsyncDir(root);
  return final;
}

/**
 * The newest checkpoint under `root` (each holds `stateFile`, written last, so it marks a complete one), or
 * null when there is none. Throws, naming it, on a step folder holding another trainer's state file instead.
 */
export async function latestCheckpointWith<S>(
  root: string,
  stateFile: string,
): Promise<{ dir: string; state: S } | null> {
  if (!existsSync(root)) return null;
  const names = (await readdir(root)).filter((n) => STEP_DIR.test(n)).sort();
  // A step folder holding another trainer's state file (a GRPO run's grpo_state.json in a KD run's folder, or
  // the other way round) is another kind of run: taken for none, it started a fresh run here that emptied that
  // run's metrics.jsonl and pruned (deleted) its checkpoints. One holding no state file at all is a checkpoint
  // whose deletion (pruning) a kill cut short: skipped, as it always was.
  const complete: string[] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    if (existsSync(path.join(dir, stateFile))) {
      complete.push(name);
      continue;
    }
    const held = (await readdir(dir).catch(() => [] as string[])).sort();
    const foreign = held.filter((f) => f.endsWith("_state.json"));
    if (foreign.length > 0)
      throw new Error(
        `${dir}: a checkpoint without ${stateFile} (it holds ${held.join(", ")}): another kind of run's folder; use another output folder`,
      );
  }
  const newest = complete.at(-1);
  if (newest === undefined) return null;
  const dir = path.join(root, newest);
  const file = path.join(dir, stateFile);
  // A damaged state file is an error, not a reason to fall back to an older checkpoint: resuming from there
  // would silently redo (and overwrite) the steps this one holds.
  return { dir, state: parseJsonObjectFile(await readFile(file, "utf8"), file) as S };
}

/** Delete step checkpoints beyond the newest `keep` ones (and any leftover .tmp folders). */
export async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  if (!existsSync(root)) return;
  const all = await readdir(root);
  for (const n of all.filter((n) => n.endsWith(".tmp")))
    await rm(path.join(root, n), { recursive: true, force: true });
  const steps = all.filter((n) => STEP_DIR.test(n)).sort();
  for (const n of steps.slice(0, Math.max(0, steps.length - keep)))
    await rm(path.join(root, n), { recursive: true, force: true });
}

export async function saveOptimizerState(dir: string, optimizer: AdamW): Promise<void> {
  const moments = new Map<string, TensorToWrite>();
  optimizer.m.forEach((m, i) => {
    moments.set(`m.${i}`, f32(m));
    moments.set(`v.${i}`, f32(optimizer.v[i] as tf.Variable));
  });
  await writeSafetensors(path.join(dir, OPTIMIZER_FILE), moments, { adam_step: String(optimizer.step) });
}

export async function restoreOptimizerState(dir: string, optimizer: AdamW): Promise<void> {
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

export async function saveLoraCheckpoint(
  dir: string,
  lora: Map<string, LoraLayer>,
  loraConfig: LoraConfig,
): Promise<void> {
  await saveAdapter(path.join(dir, "adapter"), loraToAdapter(lora, loraConfig));
}

/** Load a checkpoint's adapter into live LoRA variables (stored as A^T / B^T). */
export async function restoreLoraCheckpoint(dir: string, lora: Map<string, LoraLayer>): Promise<void> {
  const adapter = await loadAdapter(path.join(dir, "adapter"));
  for (const [modulePath, layer] of lora) {
    const weights = adapter.modules.get(modulePath);
    if (!weights) throw new Error(`${dir}: the checkpoint's adapter has no module "${modulePath}"`);
    const [inDim, r] = layer.aT.shape as [number, number];
    const out = layer.bT.shape[1] as number;
    tf.tidy(() => {
      layer.aT.assign(tf.transpose(tf.tensor2d(weights.a.data, [r, inDim])));
      layer.bT.assign(tf.transpose(tf.tensor2d(weights.b.data, [out, r])));
    });
  }
}
