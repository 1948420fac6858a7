/**
 * One export at a time per output folder. Two exports into one folder share its stage (`.ssb-export.tmp`),
 * and the second would delete the first's half-written files under it (the first then failed with a raw
 * ENOENT). The lock is a file holding the writer's pid; one left by a process that died (SIGKILL, a second
 * Ctrl-C) is taken over at once. A minimal copy of @ssb/durable-files' acquirePidLock, since this package
 * depends on no other workspace package but @ssb/cli-kit; processes on one machine only.
 */
import { linkSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

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

// Folders (real paths) this process is exporting into now: a lock holding our own pid is another export of
// this process only if listed here, else a leftover of an earlier process that had our pid. On globalThis so
// the ESM and CommonJS builds, loaded side by side, share it.
const HELD_KEY = Symbol.for("@ssb/model/export-locks");
const holder = globalThis as { [HELD_KEY]?: Set<string> };
const held: Set<string> = holder[HELD_KEY] ?? new Set<string>();
holder[HELD_KEY] = held;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Creates `outDir` when missing and takes its lock; returns the release function (also run at process exit,
 * so an exit midway leaves no lock of ours). Throws {@link ExportOutNotFolderError} or
 * {@link ExportOutBusyError}.
 */
export function lockExportFolder(outDir: string): () => void {
  try {
    if (!statSync(outDir).isDirectory()) throw new ExportOutNotFolderError(outDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR")
      throw new Error(`${outDir}: a part of this path is a file, not a folder; give a folder`);
    if (code !== "ENOENT") throw error;
    mkdirSync(outDir, { recursive: true });
  }
  const key = realpathSync(outDir);
  if (held.has(key)) throw new ExportOutBusyError(outDir, null);
  const file = path.join(outDir, EXPORT_LOCK_FILE);
  for (let attempt = 0; attempt < 20; attempt++) {
    // Written under a name of our own and hard-linked into place: link() fails when the lock exists, and a
    // lock that exists always holds a whole pid (never an empty file another export would read as stale).
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, String(process.pid));
    try {
      linkSync(tmp, file);
      return releaser(file, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(tmp, { force: true });
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch {
      continue; // released meanwhile
    }
    const pid = Number(text);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new ExportOutBusyError(outDir, pid);
    }
    // A dead export's lock (or one not holding a pid): removed only if it is still the one read.
    try {
      if (readFileSync(file, "utf8").trim() === text) rmSync(file, { force: true });
    } catch {
      // gone already
    }
  }
  throw new Error(`${file}: could not take the export lock (it keeps changing); try again`);
}

function releaser(file: string, key: string): () => void {
  held.add(key);
  const atExit = (): void => {
    try {
      if (readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // gone already
    }
  };
  process.once("exit", atExit);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(key);
    process.off("exit", atExit);
    rmSync(file, { force: true });
  };
}
