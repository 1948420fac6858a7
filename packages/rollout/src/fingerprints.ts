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
 * they are, so a model folder moved elsewhere still resumes (under its name: the model id is the folder's).
 */
export function modelFingerprint(onnxFile: string): string {
  const dir = path.dirname(onnxFile);
  const base = path.basename(onnxFile);
  // External data named after the model (ORT GenAI's `model.onnx.data`, Optimum's `model.onnx_data`); a
  // `model.onnx.bak` beside it is not the model's.
  const isData = (name: string): boolean =>
    name.startsWith(base) && /^[._]data\d*$/.test(name.slice(base.length));
  const data = readdirSync(dir)
    .filter(isData)
    .sort()
    .map((name) => path.join(dir, name));
  return fileEdgesFingerprint([onnxFile, ...data]);
}

/** Fingerprint of a prompt's token ids (what the model saw: problem text, system prompt, chat template). */
export function promptFingerprint(ids: readonly number[]): string {
  return createHash("sha256").update(Int32Array.from(ids)).digest("hex").slice(0, 16);
}
