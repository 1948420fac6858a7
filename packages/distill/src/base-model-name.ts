/**
 * The base model a LoRA run's adapters name (`base_model_name_or_path` in adapter_config.json, which PEFT's
 * `AutoPeftModelForCausalLM` loads the base from). A resume of train() given no `baseModelName` used to save
 * null there from then on, though the run's first session recorded it: the recorded one is carried, as the
 * template day and the inputs' fingerprints are. A different one given is recorded from then on, with a note:
 * the name says where the base model is (a folder moved, or named by another path), not what it holds, and
 * does not change the trajectory (the base model itself is compared by its fingerprints: `inputs.baseWeights`,
 * which train() records, and `inputs.model`, which runTraining gives).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ADAPTER_CONFIG_FILE, parseAdapterConfig, readJsonFile } from "@ssb/model";

export interface BaseModelNameChoice {
  /** The name the adapters this session saves record (null: none). */
  name: string | null;
  /** A line to log (another name than the checkpoint's), or null. */
  note: string | null;
}

/**
 * The name this session's adapters record: `given` (a string), else the one a resumed checkpoint's adapter
 * records (`checkpointDir`: null on a fresh start, or for a checkpoint without an adapter).
 */
export async function chooseBaseModelName(
  given: string | null | undefined,
  checkpointDir: string | null,
): Promise<BaseModelNameChoice> {
  const file = checkpointDir === null ? null : path.join(checkpointDir, "adapter", ADAPTER_CONFIG_FILE);
  const recorded = file === null ? null : await recordedName(file);
  if (typeof given !== "string") return { name: recorded, note: null };
  if (recorded === null || recorded === given || file === null) return { name: given, note: null };
  return {
    name: given,
    note: `note: ${file} names the base model ${JSON.stringify(recorded)} (base_model_name_or_path); this session's adapters name ${JSON.stringify(given)} (baseModelName), as given. Allowed: the name says where the base model is, not what it holds (its weights are compared: inputs.baseWeights)`,
  };
}

/** The checkpoint adapter's base_model_name_or_path (null: none, or no adapter file: a full-parameter run). */
async function recordedName(file: string): Promise<string | null> {
  if (!existsSync(file)) return null;
  // A damaged file is named by readJsonFile / parseAdapterConfig (the resume would fail reading it anyway).
  return parseAdapterConfig(await readJsonFile(file), file).baseModelNameOrPath;
}
