/**
 * Cheap fingerprints that tie a rollout output to what produced it, so a rerun into the same file can tell
 * a resume from a different job: the model's files and each prompt's token ids.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";

/** Bytes read from each end of a model file: enough to tell weights apart without reading gigabytes. */
const EDGE_BYTES = 1 << 20;

function hashFileEdges(hash: ReturnType<typeof createHash>, file: string): void {
  const size = statSync(file).size;
  hash.update(`${path.basename(file)}\u0000${size}\u0000`);
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(Math.min(EDGE_BYTES, size));
    readSync(fd, head, 0, head.length, 0);
    hash.update(head);
    if (size > EDGE_BYTES) {
      const tail = Buffer.alloc(Math.min(EDGE_BYTES, size - EDGE_BYTES));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Fingerprint of an ONNX model: the size and first and last MiB of the file and of its external-data files
 * beside it (named after it, as `model.onnx.data` or `model.onnx_data`). Two different checkpoints of the
 * same architecture differ there (their weights do); the same files give the same fingerprint wherever
 * they are, so a moved model folder still resumes.
 */
export function modelFingerprint(onnxFile: string): string {
  const hash = createHash("sha256");
  hashFileEdges(hash, onnxFile);
  const dir = path.dirname(onnxFile);
  const base = path.basename(onnxFile);
  const data = readdirSync(dir)
    .filter((name) => name !== base && name.startsWith(base))
    .sort();
  for (const name of data) hashFileEdges(hash, path.join(dir, name));
  return hash.digest("hex").slice(0, 32);
}

/** Fingerprint of a prompt's token ids (what the model saw: problem text, system prompt, chat template). */
export function promptFingerprint(ids: readonly number[]): string {
  return createHash("sha256").update(Int32Array.from(ids)).digest("hex").slice(0, 16);
}
