/**
 * What an output folder may hold before a fresh start (no checkpoint to resume) empties it: the folder itself
 * is claimed through @ssb/durable-files (trainer's train.lock, runGrpo's grpo.lock).
 */
import { existsSync, readFileSync, rmdirSync } from "node:fs";
import path from "node:path";
import { type ClaimOutputFolderOptions, claimOutputFolder, stripBom } from "@ssb/durable-files";

/** The KD/SFT trainer's claim on its output folder (train() and runTraining). */
export const TRAIN_FOLDER_LOCK: ClaimOutputFolderOptions = { lockName: "train.lock", holder: "distill run" };

/**
 * Claim `outDir` for one run (see claimOutputFolder), the first thing a run does: a folder another run holds,
 * or a path no folder can be made at, is refused before the model and data are read (minutes and gigabytes on
 * a real model). The returned release also removes the folder when this claim created it and it is still
 * empty, so a run refused for its inputs leaves nothing behind.
 */
export function claimRunFolder(outDir: string, options: ClaimOutputFolderOptions): () => void {
  const existed = existsSync(outDir);
  const release = claimOutputFolder(outDir, options);
  return () => {
    release();
    if (existed) return;
    try {
      rmdirSync(outDir); // only an empty folder: anything the run wrote keeps it
    } catch {
      // not empty, or gone already
    }
  };
}

/**
 * Claim `outDir` for a KD/SFT run (train() and runTraining). An empty `outDir` (an unset variable, say) is
 * refused: it named the current folder, which the run claimed and filled with checkpoints/, metrics.jsonl and
 * adapter/.
 */
export function claimTrainFolder(outDir: string): () => void {
  if (outDir === "")
    throw new Error(
      `outDir is empty: give the output folder's path (an empty one trains into the current folder, ${process.cwd()})`,
    );
  return claimRunFolder(outDir, TRAIN_FOLDER_LOCK);
}

/**
 * Why a fresh start in `outDir` (no checkpoint to resume) must not go ahead, or null. A fresh start empties
 * metrics.jsonl and writes the final output anew, which is right for a run killed before its first checkpoint
 * but not when the folder holds a finished run whose checkpoints were removed (one of `finals`, e.g.
 * `adapter`, is there) or another kind of run's metrics (the first record lacks `field`).
 */
export function freshStartConflict(outDir: string, finals: readonly string[], field: string): string | null {
  const found = finals.filter((name) => existsSync(path.join(outDir, name)));
  if (found.length > 0)
    return `${outDir} holds a finished run's ${found.map((f) => `${f}/`).join(" and ")} but no checkpoint to resume; use another output folder, or remove ${found.map((f) => `${f}/`).join(" and ")} to train afresh here`;
  const metricsFile = path.join(outDir, "metrics.jsonl");
  if (!existsSync(metricsFile)) return null;
  const lines = stripBom(readFileSync(metricsFile, "utf8")).split("\n");
  const index = lines.findIndex((line) => line.trim() !== "");
  if (index < 0) return null;
  let first: unknown;
  try {
    first = JSON.parse(lines[index] as string);
  } catch {
    return null; // a first record cut off by a kill: this kind of run's, which a fresh start redoes
  }
  if (typeof first === "object" && first !== null && field in first) return null;
  return `${metricsFile}:${index + 1}: a record without "${field}": another kind of run's metrics; use another output folder`;
}
