/**
 * One writer per output folder. The pid lock (eval.lock) keeps a second process out, but it holds only a
 * pid, and @ssb/logit-store's acquirePidLock takes over a lock holding its own pid (it reads as a leftover of
 * an earlier run of this process). Two runEval calls in one process (two promises, both awaiting their
 * generators) would then both hold it and append the same samples twice, and the first to end would remove
 * the other's lock. So the folders this process is writing are also kept in a set.
 */
import { mkdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { acquirePidLock } from "@ssb/logit-store";

// Kept on globalThis: the package's ESM and CommonJS builds loaded side by side must share one set.
const KEY = Symbol.for("@ssb/eval/output-folders-in-use");
const holder = globalThis as { [KEY]?: Set<string> };
const inUse: Set<string> = holder[KEY] ?? new Set<string>();
holder[KEY] = inUse;

/**
 * Creates `outDir` if needed and claims it for this run, before anything in it is read or written. Throws,
 * naming the folder, when it is a file, cannot be written, or another run (in this process or another) holds
 * it. Returns the function that releases the claim.
 */
export function claimOutputFolder(outDir: string): () => void {
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
  const key = realpathSync(outDir);
  if (inUse.has(key)) {
    throw new Error(
      `output folder ${outDir} is being written by another runEval call in this process; wait for it to finish (awaiting its promise) before resuming there, or use another output folder`,
    );
  }
  let releaseLock: () => void;
  try {
    releaseLock = acquirePidLock(join(outDir, "eval.lock"), outDir, "ssb-eval run");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS")
      throw new Error(`output folder ${outDir} is not writable (${(error as Error).message})`);
    throw error;
  }
  inUse.add(key);
  return () => {
    inUse.delete(key);
    releaseLock();
  };
}
