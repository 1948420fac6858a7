/**
 * Checking LoRA `targetModules` names before training, without loading a model (only its naming scheme).
 */
import { PROJECTION_MODULES, projectionPath } from "@ssb/model";

/**
 * The names in a `targetModules` list that name no projection of the decoder under PEFT's suffix rule
 * ("q_proj", "self_attn.q_proj", "model.layers.3.self_attn.q_proj", ...). One misspelled name among good ones
 * ("v_projj") otherwise trains only the others, silently.
 */
export function unknownTargetModules(names: readonly string[]): string[] {
  const templates = PROJECTION_MODULES.map((m) => projectionPath(0, m).split("."));
  const isKnown = (name: string): boolean => {
    const parts = name.split(".");
    return templates.some((path) => {
      if (parts.length > path.length) return false;
      const tail = path.slice(path.length - parts.length);
      // The template's layer index (0) stands for any layer.
      return parts.every((p, i) => p === tail[i] || (tail[i] === "0" && /^\d+$/.test(p)));
    });
  };
  return names.filter((name) => !isKnown(name));
}
