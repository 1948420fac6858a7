/**
 * An output folder made ready before a run reads or writes anything in it: made when missing, refused with a
 * sentence (not a bare `EEXIST … mkdir`) when the path is a file or lies under one or cannot be created. The
 * same checks as @ssb/durable-files' claimOutputFolder, which this package does not depend on yet; the lock
 * is taken by the trainer (train.lock) and by runGrpo (grpo.lock).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { stripBom } from "./json-file.js";

/** The path's stat, or undefined when nothing is there (ENOTDIR too: a path under a file). */
function statIfThere(at: string): ReturnType<typeof statSync> {
  try {
    return statSync(at, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Refuses, in a sentence, an output path that is a file or lies under one, without creating anything: a run
 * checks this before reading its inputs, and writes nothing when they are refused.
 */
export function checkOutputPath(outDir: string): void {
  const found = statIfThere(outDir);
  if (found !== undefined && !found.isDirectory())
    throw new Error(
      `output folder ${outDir} exists and is not a folder; give a folder path (new or an earlier run's)`,
    );
  if (found !== undefined) return;
  // The nearest existing folder above: a file there is a path no mkdir can make.
  let above = path.dirname(path.resolve(outDir));
  for (;;) {
    const at = statIfThere(above);
    if (at !== undefined) {
      if (!at.isDirectory())
        throw new Error(`cannot create output folder ${outDir} (${above} is a file, not a folder)`);
      return;
    }
    const parent = path.dirname(above);
    if (parent === above) return;
    above = parent;
  }
}

/** checkOutputPath, then make the folder (a failure, EACCES say, is named with it). */
export function prepareOutputFolder(outDir: string): void {
  checkOutputPath(outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create output folder ${outDir} (${(error as Error).message})`);
  }
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
