/**
 * A fingerprint of the base model train() is given, recorded among a checkpoint's inputs (`inputs.baseWeights`)
 * and compared on resume. runTraining records its model folder's (`inputs.model`, from the files), but a caller
 * of train() who gives no `inputs` resumed on another base model (same architecture: the LoRA shapes fit)
 * silently, its later steps trained on other weights than its first. Like the files' fingerprint it reads a
 * sample, not every weight: each tensor's name, shape and its first and last values, which differ between two
 * checkpoints of one architecture (another fine-tune, a merged adapter) in every tensor such a change touches.
 * Computed before a resume restores anything, so in full-parameter training it reads the base weights too.
 */
import { createHash } from "node:crypto";
import { baseTensors, type DecoderModel } from "./model.js";
import { tf } from "./tf.js";

/** The key train() records the fingerprint under in a checkpoint's `inputs`. */
export const BASE_WEIGHTS_INPUT = "baseWeights";

/** Values read from each end of every tensor. */
const EDGE = 16;

/** 32 hex digits of SHA-256 over every base tensor's name, shape and edge values, in the model's order. */
export function baseWeightsFingerprint(model: DecoderModel): string {
  const hash = createHash("sha256");
  for (const [name, tensor] of baseTensors(model)) {
    hash.update(`${name}:${tensor.shape.join("x")}:${tensor.dtype};`);
    const size = tensor.size;
    const edges = tf.tidy(() => {
      const flat = tf.reshape(tensor, [size]);
      return size <= 2 * EDGE
        ? flat
        : tf.concat([tf.slice(flat, 0, EDGE), tf.slice(flat, size - EDGE, EDGE)]);
    });
    try {
      const values = edges.dataSync();
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } finally {
      edges.dispose();
    }
  }
  return hash.digest("hex").slice(0, 32);
}
