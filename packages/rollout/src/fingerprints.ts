/**
 * Cheap fingerprints that tie a rollout output to what produced it, so a rerun into the same file can tell
 * a resume from a different job: the model's files and each prompt's token ids.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileEdgesFingerprint } from "@ssb/model";

/**
 * Fingerprint of an ONNX model: the size and first and last MiB of the file and of its external-data files
 * beside it (named after it, as `model.onnx.data` or `model.onnx_data`). Two different checkpoints of the
 * same architecture differ there (their weights do); the same files give the same fingerprint wherever
 * they are, so a moved model folder still resumes.
 */
export function modelFingerprint(onnxFile: string): string {
  const dir = path.dirname(onnxFile);
  const base = path.basename(onnxFile);
  const data = readdirSync(dir)
    .filter((name) => name !== base && name.startsWith(base))
    .sort()
    .map((name) => path.join(dir, name));
  return fileEdgesFingerprint([onnxFile, ...data]);
}

/** Fingerprint of a prompt's token ids (what the model saw: problem text, system prompt, chat template). */
export function promptFingerprint(ids: readonly number[]): string {
  return createHash("sha256").update(Int32Array.from(ids)).digest("hex").slice(0, 16);
}
