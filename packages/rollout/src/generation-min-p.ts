/**
 * `min_p` of a model's generation_config.json. @ssb/model's GenerationConfig has no such field, yet
 * transformers' generate() applies it (MinPLogitsWarper, when sampling): `--generation-config` on a model
 * that asks for min-p would otherwise sample without it.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { RolloutError } from "./errors.js";

/** The file's `min_p` (null when absent or null, as in transformers: off). */
export function readGenerationMinP(dir: string): number | null {
  const file = path.join(dir, "generation_config.json");
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null; // not JSON: @ssb/model's loadGenerationConfig has already refused it, naming the place
  }
  if (typeof json !== "object" || json === null) return null;
  const value = (json as Record<string, unknown>).min_p;
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !(value >= 0 && value <= 1))
    throw new RolloutError(`${file}: "min_p" must be a number in [0, 1], found ${JSON.stringify(value)}`);
  return value;
}
