/**
 * A lock file holding the pid of the process that owns a directory or output: one writer at a time, and a
 * lock left by a process that died (SIGKILL, a lost machine) is taken over at once, with no stale timeout.
 * Processes on one machine only (pids are not meaningful across machines).
 */
import { linkSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A lock another live process holds (or one that could not be taken): the message names what and who. */
export class LockError extends Error {
  override name = "LockError";
  /**
   * @param holderPid the pid of the live process holding the lock; null when it is held in this process;
   *   undefined when the lock could not be taken for another reason.
   */
  constructor(
    message: string,
    readonly holderPid?: number | null,
  ) {
    super(message);
  }
}

// The locks this process holds now, by real path. A lock file holding our own pid is ours only if it is in
// here; otherwise it is a leftover of an earlier process that had our pid (pids are reused, often the same small
// ones in containers) and is taken over. Kept on globalThis so the package's ESM and CommonJS builds, loaded
// side by side, share one set.
const HELD_KEY = Symbol.for("@ssb/durable-files/held-locks");
const heldHolder = globalThis as { [HELD_KEY]?: Set<string> };
const held: Set<string> = heldHolder[HELD_KEY] ?? new Set<string>();
heldHolder[HELD_KEY] = held;

/** The lock's identity: its folder's real path (symlinks and relative paths name one lock) and its name. */
function lockKey(file: string): string {
  try {
    return join(realpathSync(dirname(file)), basename(file));
  } catch {
    return file; // the folder is gone: linkSync below says so
  }
}

/**
 * Take `file` as a lock for this process: created exclusively (two processes starting together cannot both
 * win), taken over when the pid in it is gone. Throws a {@link LockError} naming `what` and the holder when
 * another live process holds it, or when this process holds it already (two jobs in one process writing one
 * output would interleave as surely as two processes). Returns the function that releases it.
 */
export function acquirePidLock(file: string, what: string, holder = "process"): () => void {
  const key = lockKey(file);
  if (held.has(key))
    throw new LockError(
      `${what}: locked by another ${holder} in this process (${file}); wait for it to finish, or use another output`,
      null,
    );
  for (let attempt = 0; attempt < 50; attempt++) {
    // The pid is written to a file of our own first and hard-linked into place: link() fails when the lock
    // exists, and a lock that exists always holds a whole pid (never an empty file another process would
    // read as "no holder").
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, String(process.pid));
    try {
      linkSync(tmp, file);
      return releaser(file, key);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch {
      continue; // released meanwhile: try again
    }
    const pid = Number(text);
    if (!(Number.isInteger(pid) && pid > 0)) {
      // Not a pid (written by something else, or cut short by a crash of an older writer): stale once it
      // has stood for a while; a moment ago it may be another writer's older-style lock in the making.
      if (Date.now() - statSync(file).mtimeMs < 2000) {
        sleepMs(50);
        continue;
      }
    } else if (pid !== process.pid && alive(pid)) {
      throw new LockError(`${what}: locked by a running ${holder} (pid ${pid}, ${file})`, pid);
    }
    // A dead holder's (or our own earlier) lock: removed only if it is still the one we read.
    try {
      if (readFileSync(file, "utf8").trim() === text) rmSync(file, { force: true });
    } catch {
      // gone already
    }
  }
  throw new LockError(`${what}: could not take the lock ${file}`);
}

/**
 * The release function of a lock just taken. It also runs at process exit, so a CLI whose Ctrl-C handler
 * calls process.exit() (its `finally` blocks never run) leaves no lock behind; at exit it removes the file
 * only while it still holds our pid.
 */
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
    // A second call must not remove a lock taken since by another job.
    if (released) return;
    released = true;
    held.delete(key);
    process.off("exit", atExit);
    rmSync(file, { force: true });
  };
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  return !zombie(pid);
}

/**
 * True when `pid` has exited but its parent has not reaped it (Linux: state Z in /proc/PID/stat). Signal 0
 * still reaches such a process, so a writer killed under a parent that never reaps (a wrapper that leaves
 * its child, a container whose PID 1 does not reap) would otherwise hold the lock for good.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false; // no /proc (not Linux) or the process just went: the signal's answer stands
  }
}
