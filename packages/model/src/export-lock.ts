/**
 * One export at a time per output folder. Two exports into one folder share its stage (`.ssb-export.tmp`),
 * and the second would delete the first's half-written files under it (the first then failed with a raw
 * ENOENT). The lock is a file holding the writer's pid; one left by a process that died (SIGKILL, a second
 * Ctrl-C) is taken over at once (@ssb/durable-files' acquirePidLock, the lock every ssb job uses); processes on
 * one machine only.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { acquirePidLock, LockError, makeFolders, removeEmptyFolders } from "@ssb/durable-files";

/** The lock file's name inside the output folder. */
export const EXPORT_LOCK_FILE = ".ssb-export.lock";

/** Another export is writing into the output folder (`pid` null: one in this process); nothing was written. */
export class ExportOutBusyError extends Error {
  constructor(
    readonly outDir: string,
    readonly pid: number | null,
  ) {
    super(
      `another export (${pid === null ? "in this process" : `pid ${pid}`}) is writing into ${outDir}; wait for ` +
        "it to finish, or export into another folder",
    );
    this.name = "ExportOutBusyError";
  }
}

/** The output folder names an existing file. */
export class ExportOutNotFolderError extends Error {
  constructor(readonly outDir: string) {
    super(`${outDir} is a file; the export needs a folder there`);
    this.name = "ExportOutNotFolderError";
  }
}

/**
 * Creates `outDir` when missing and takes its lock; returns the release function (also run at process exit,
 * so an exit midway leaves no lock of ours). Throws {@link ExportOutNotFolderError} or
 * {@link ExportOutBusyError}.
 */
export function lockExportFolder(outDir: string): (failed?: boolean) => void {
  let created: string | undefined;
  try {
    if (!statSync(outDir).isDirectory()) throw new ExportOutNotFolderError(outDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      throw new Error(`${outDir}: a part of this path is a file, not a folder; give a folder`);
    if (code !== "ENOENT") throw error;
    created = makeFolders(outDir);
  }
  let release: () => void;
  try {
    release = acquirePidLock(path.join(outDir, EXPORT_LOCK_FILE), outDir, "export");
  } catch (error) {
    removeCreatedFolders(outDir, created);
    if (error instanceof LockError && error.holderPid !== undefined)
      throw new ExportOutBusyError(outDir, error.holderPid);
    throw error;
  }
  return (failed = false) => {
    release();
    // A failed export into a folder it made leaves no empty folder behind to look like an output.
    if (failed) removeCreatedFolders(outDir, created);
  };
}

/** Removes `outDir` and its parents up to `created` (the outermost folder made), each only while empty. */
function removeCreatedFolders(outDir: string, created: string | undefined): void {
  if (created !== undefined) removeEmptyFolders(outDir, created);
}
