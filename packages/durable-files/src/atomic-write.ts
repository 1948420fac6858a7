/**
 * Whole-file replacement that a crash cannot tear: readers see the old file or the new one, never half of one,
 * and after a power loss the rename is on disk once this returns.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

/** fsync a directory so a rename or unlink inside it survives a crash (a no-op where directories can't be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replace `path` with `data`: write a temporary file beside it (named for this process, so two writers never
 * share one), fsync it, rename it over, fsync the directory. A failed write removes the temporary file and
 * leaves `path` as it was.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  fsyncDir(dirname(path));
}

/**
 * fsync every file and folder under `dir` (and `dir` itself), for a folder built in a temporary place and then
 * renamed into view (a checkpoint): the rename alone makes it kill-safe, this makes it power-loss-safe too.
 * Returns how many files were synced.
 */
export function fsyncTree(dir: string): number {
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const at = join(dir, entry.name);
    if (entry.isDirectory()) files += fsyncTree(at);
    else if (entry.isFile()) {
      const fd = openSync(at, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      files += 1;
    }
  }
  fsyncDir(dir);
  return files;
}
