/**
 * An output folder made ready before a run reads or writes anything in it: made when missing, refused with a
 * sentence (not a bare `EEXIST … mkdir`) when the path is a file or lies under one or cannot be created. The
 * same checks as @ssb/durable-files' claimOutputFolder, which this package does not depend on yet; the lock
 * is taken by the trainer (train.lock) and by runGrpo (grpo.lock).
 */
import { mkdirSync, statSync } from "node:fs";

export function prepareOutputFolder(outDir: string): void {
  let found: ReturnType<typeof statSync>;
  try {
    found = statSync(outDir, { throwIfNoEntry: false });
  } catch {
    found = undefined; // ENOTDIR (a path under a file) and the like: mkdirSync below says it, with the path
  }
  if (found !== undefined && !found.isDirectory())
    throw new Error(
      `output folder ${outDir} exists and is not a folder; give a folder path (new or an earlier run's)`,
    );
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    // ENOTDIR (a path under a file), EACCES: Node's bare message names only the path.
    throw new Error(`cannot create output folder ${outDir} (${(error as Error).message})`);
  }
}
