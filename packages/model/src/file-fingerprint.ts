/**
 * A cheap fingerprint of large files (model weights): their names, sizes and first and last MiB. Two
 * checkpoints of one architecture differ there (their weights do), and it reads 2 MiB a file instead of
 * gigabytes. Used to tell, on resume, whether a job still has the model it started with.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";

/** Bytes read from each end of a file. */
const EDGE_BYTES = 1 << 20;

/** Fingerprint (32 hex digits) of `files`, in the order given; the same files anywhere give the same value. */
export function fileEdgesFingerprint(files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of files) {
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
  return hash.digest("hex").slice(0, 32);
}

/**
 * Fingerprint of a Hugging Face checkpoint folder: its config.json and weight files (safetensors, and a
 * sharded checkpoint's index), so a retrained or other checkpoint differs while its tokenizer or a README
 * beside it does not count.
 */
export function checkpointFingerprint(dir: string): string {
  const files = readdirSync(dir)
    .filter(
      (name) =>
        name === "config.json" || name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json"),
    )
    .sort()
    .map((name) => path.join(dir, name));
  return fileEdgesFingerprint(files);
}
