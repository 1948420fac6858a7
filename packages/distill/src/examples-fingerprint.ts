/**
 * A fingerprint of the examples train() trains on, recorded among a checkpoint's inputs (`inputs.examples`)
 * and compared on resume. runTraining fingerprints its files (model, data, logit store), but a caller of
 * train() builds its own examples and may give no `inputs`: a resume on edited examples (same count, so the
 * same schedule) went on silently, its later steps trained on other data than its first. Their order counts
 * (the seeded plan picks examples by index), as do ids, token ids, targets and the teacher's rows.
 */
import { createHash } from "node:crypto";
import type { TrainingExample } from "./training-example.js";

/** The key train() records the fingerprint under in a checkpoint's `inputs`. */
export const EXAMPLES_INPUT = "examples";

/** 32 hex digits of SHA-256 over every example, in order. */
export function examplesFingerprint(examples: readonly TrainingExample[]): string {
  const hash = createHash("sha256");
  const bytes = (a: Int32Array | Float32Array): Uint8Array =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const e of examples) {
    // Lengths first, so no two different examples hash the same bytes.
    const id = Buffer.from(e.id, "utf8");
    const t = e.teacher;
    hash.update(bytes(Int32Array.of(id.length, e.inputIds.length, e.firstRow, e.targets.length, t?.k ?? -1)));
    hash.update(id);
    hash.update(bytes(e.inputIds));
    hash.update(bytes(e.targets));
    if (t) {
      hash.update(bytes(t.topkIds));
      hash.update(bytes(t.topkLogits));
      hash.update(bytes(t.logSumExp));
    }
  }
  return hash.digest("hex").slice(0, 32);
}
