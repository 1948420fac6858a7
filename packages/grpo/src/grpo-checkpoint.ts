/**
 * GRPO checkpoints: `checkpoints/step-XXXXXXXX/` with the LoRA as a PEFT adapter, the AdamW moments and
 * `grpo_state.json` (written last), through @ssb/distill's checkpoint pieces (temporary folder renamed into
 * place, so a kill leaves only complete checkpoints). Nothing else is needed to resume: problem order, sampling
 * seeds and dropout masks are functions of (seed, step), and the ONNX policy is re-exported from the restored
 * LoRA.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type AdamW,
  type BackendSpan,
  type LoraLayer,
  latestCheckpointWith,
  pruneCheckpoints,
  restoreLoraCheckpoint,
  restoreOptimizerState,
  saveLoraCheckpoint,
  saveOptimizerState,
  writeCheckpointDir,
} from "@ssb/distill";
import type { LoraConfig } from "@ssb/model";
import type { GrpoConfig } from "./grpo-config.js";

export const GRPO_STATE_FILE = "grpo_state.json";

/** The reward identity recorded for the default reward (the verifier with config.reward). */
export const DEFAULT_REWARD = "verifier";
/** The one recorded for a reward function passed without a rewardId: not checkable on resume. */
export const CUSTOM_REWARD = "custom";

export interface GrpoState {
  /** Rounds completed. */
  step: number;
  config: GrpoConfig;
  /** Fingerprints of the base model and the problem set, compared on resume (absent in older checkpoints). */
  inputs?: Record<string, string>;
  /**
   * The reward's identity (runGrpo's rewardId, "verifier" for the default, "custom" for an unnamed function);
   * a resume with another is refused. Absent in older checkpoints.
   */
  rewardId?: string;
  /**
   * VERIFIER_VERSION of the @ssb/verifier that graded the default reward's latest rounds (absent with a reward
   * function of one's own, and in checkpoints from before it was recorded). A resume under another version
   * goes on with a note naming both: the rewards of the rounds before it stay as graded then.
   */
  verifierVersion?: string;
  /** Which backend trained which rounds (absent in older checkpoints; their rounds are not in it). */
  backends?: BackendSpan[];
  /** Wall time of the run so far (seconds), carried across resumes. */
  elapsedSec: number;
  savedAt: string;
}

export function saveGrpoCheckpoint(
  root: string,
  lora: Map<string, LoraLayer>,
  loraConfig: LoraConfig,
  optimizer: AdamW,
  state: GrpoState,
): Promise<string> {
  return writeCheckpointDir(root, state.step, async (dir) => {
    await saveLoraCheckpoint(dir, lora, loraConfig);
    await saveOptimizerState(dir, optimizer);
    await writeFile(path.join(dir, GRPO_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  });
}

/** The newest complete checkpoint under `root`, or null. */
export const latestGrpoCheckpoint = (root: string): Promise<{ dir: string; state: GrpoState } | null> =>
  latestCheckpointWith<GrpoState>(root, GRPO_STATE_FILE);

/** Keep the newest `keep` checkpoints; drop leftover .tmp folders. */
export const pruneGrpoCheckpoints = (root: string, keep: number): Promise<void> =>
  pruneCheckpoints(root, keep);

/** Load a checkpoint's LoRA and AdamW moments into the live variables. */
export async function restoreGrpoCheckpoint(
  dir: string,
  lora: Map<string, LoraLayer>,
  optimizer: AdamW,
): Promise<void> {
  await restoreLoraCheckpoint(dir, lora);
  await restoreOptimizerState(dir, optimizer);
}
