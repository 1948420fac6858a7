/**
 * A NaN or infinite weight turns every logit that depends on it into NaN, so an export of such a checkpoint
 * (a diverged fine-tune, a damaged download) looks complete and generates garbage. The export checks each weight
 * as it writes it and names the file, the tensor and the first bad element instead.
 */
import path from "node:path";
import { ADAPTER_WEIGHTS_FILE } from "./adapter.js";
import type { WeightGetter } from "./export-decoder.js";
import { ModelFileError } from "./json-fields.js";
import type { TensorSource } from "./safetensors.js";

/** Index of the first NaN or ±Infinity in `values`, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // x - x is NaN exactly for NaN and ±Infinity; cheaper than Number.isFinite per element.
    const v = values[i] as number;
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * `getter` with every float32 read checked. `base` is the checkpoint's own weights: where `getter` reads them
 * merged with an adapter (in `adapterDir`), an element the base holds as finite is blamed on the adapter's file.
 */
export function finiteWeights(getter: WeightGetter, base: TensorSource, adapterDir?: string): WeightGetter {
  return {
    has: (name) => getter.has(name),
    shape: (name) => getter.shape(name),
    async float32(name) {
      const data = await getter.float32(name);
      const bad = firstNonFinite(data);
      if (bad < 0) return data;
      let file = base.has(name) ? base.info(name).file : "weights";
      let origin = "";
      if (adapterDir !== undefined && base.has(name)) {
        const own = (await base.readFloat32(name)).data[bad] as number;
        if (Number.isFinite(own)) {
          file = path.join(adapterDir, ADAPTER_WEIGHTS_FILE);
          origin = ` once this adapter is merged into it (the base holds ${own} there)`;
        }
      }
      throw new ModelFileError(
        file,
        `tensor "${name}": element ${bad} is ${data[bad]}${origin}; every weight must be finite ` +
          "(a NaN or infinite weight makes the logits NaN)",
      );
    },
  };
}
