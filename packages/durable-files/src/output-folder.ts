/**
 * A job's output folder, claimed before anything in it is read or written: made when missing, refused with a
 * sentence (not a bare `EEXIST … mkdir`) when it is a file, sits under a file or cannot be written, and locked
 * for one job at a time (see pid-lock.ts).
 */
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { acquirePidLock } from "./pid-lock.js";

export interface ClaimOutputFolderOptions {
  /** The lock file's name inside the folder, e.g. `eval.lock`. */
  lockName: string;
  /** Who holds it, for messages: "ssb-eval run" reads as "locked by a running ssb-eval run (pid …)". */
  holder: string;
}

/**
 * Creates `outDir` if needed and takes its lock for this job. Throws, naming the folder, when it is a file or
 * cannot be created or written, or when another job (in this process or another) holds it. Returns the
 * function that releases the claim.
 */
export function claimOutputFolder(outDir: string, options: ClaimOutputFolderOptions): () => void {
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
  try {
    return acquirePidLock(join(outDir, options.lockName), outDir, options.holder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS")
      throw new Error(`output folder ${outDir} is not writable (${(error as Error).message})`);
    throw error;
  }
}
