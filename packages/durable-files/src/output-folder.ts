/**
 * A job's output folder, claimed before anything in it is read or written: made when missing, refused with a
 * sentence (not a bare `EEXIST … mkdir`) when it is a file, sits under a file or cannot be written, and locked
 * for one job at a time (see pid-lock.ts).
 */
import { mkdirSync, rmdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { acquirePidLock } from "./pid-lock.js";

export interface ClaimOutputFolderOptions {
  /** The lock file's name inside the folder, e.g. `eval.lock`. */
  lockName: string;
  /** Who holds it, for messages: "ssb-eval run" reads as "locked by a running ssb-eval run (pid …)". */
  holder: string;
}

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
 * Refuses, in a sentence, an output path that is a file or lies under one, creating nothing: a job checks
 * this before it reads its inputs, so a refused input leaves no empty folder behind.
 */
export function checkOutputPath(outDir: string): void {
  const found = statIfThere(outDir);
  if (found !== undefined && !found.isDirectory())
    throw new Error(
      `output folder ${outDir} exists and is not a folder; give a folder path (new or an earlier run's)`,
    );
  if (found !== undefined) return;
  // The nearest existing path above: a file there is a path no mkdir can make.
  let above = dirname(resolve(outDir));
  for (;;) {
    const at = statIfThere(above);
    if (at !== undefined) {
      if (!at.isDirectory())
        throw new Error(`cannot create output folder ${outDir} (${above} is a file, not a folder)`);
      return;
    }
    const parent = dirname(above);
    if (parent === above) return;
    above = parent;
  }
}

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdirSync(dir, { recursive: true })` never returns on a path
 * whose parent exists but refuses new entries with ENOENT (anything under /proc): it retries the parent
 * forever. Made level by level, such a path fails at once with that ENOENT. Returns the outermost folder it
 * made (undefined when `dir` was there), as `mkdirSync`'s recursive form does, for {@link removeEmptyFolders}.
 * A file in the way throws as `mkdir -p` does: EEXIST when `dir` is one, ENOTDIR when a parent is.
 */
export function makeFolders(dir: string): string | undefined {
  const missing: string[] = [];
  let at = resolve(dir);
  let found = statIfThere(at);
  while (found === undefined) {
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
    found = statIfThere(at);
  }
  if (found !== undefined && !found.isDirectory()) {
    const code = missing.length === 0 ? "EEXIST" : "ENOTDIR";
    throw Object.assign(new Error(`${code}: ${at} is a file, not a folder (making ${dir})`), { code });
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Made by someone else since the stat (another job claiming the same new folder): fine.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return missing[0];
}

/**
 * Removes `dir` and then its parents up to `top` (inclusive), each only while empty: what a job made for an
 * output it then refused goes again, and a folder something was put in since stays, with those above it.
 */
export function removeEmptyFolders(dir: string, top: string): void {
  const last = resolve(top);
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or gone): leave it and the folders above it
    }
    if (d === last || dirname(d) === d) return;
  }
}

/**
 * Creates `outDir` if needed and takes its lock for this job. Throws, naming the folder, when it is a file or
 * lies under one, cannot be created or written, or when another job (in this process or another) holds it.
 * Returns the function that releases the claim.
 */
export function claimOutputFolder(outDir: string, options: ClaimOutputFolderOptions): () => void {
  checkOutputPath(outDir);
  try {
    makeFolders(outDir);
  } catch (error) {
    // EACCES and the like: Node's bare message names only the path.
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
