/**
 * What an output folder may hold before a fresh start (no checkpoint to resume) empties it: the folder itself
 * is claimed through @ssb/durable-files (trainer's train.lock, runGrpo's grpo.lock).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { stripBom } from "@ssb/durable-files";

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
