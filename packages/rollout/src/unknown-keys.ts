import { closestKey } from "@ssb/cli-kit";
import { RolloutError } from "./errors.js";

/**
 * Refuses a key of `value` that is not in `known`, naming it (and the known key it most likely meant): a
 * misspelled option such as `temprature` would otherwise be ignored and the run silently use the default.
 * Keys whose value is undefined are ignored, as the options themselves ignore them.
 */
export function refuseUnknownKeys(value: object, known: readonly string[], where: string): void {
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || known.includes(key)) continue;
    const near = closestKey(key, known);
    const hint = near ? ` (did you mean "${near}"?)` : "";
    throw new RolloutError(`${where}: unknown key "${key}"${hint}; known keys: ${known.join(", ")}`);
  }
}
