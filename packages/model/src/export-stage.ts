/**
 * An export's output folder is rewritten through a stage: every file is written into a hidden folder inside
 * it first, and only when all of them are written are they renamed into place (same file system, so each
 * rename is instant), and the names the exporter owns but this export did not write are removed. A failed
 * export leaves the previous one as it was; a finished one leaves no file of an earlier export that would
 * describe another model (a tokenizer.json from a checkpoint that had one, beside weights from one that has
 * none). Files the exporter does not own are never touched.
 */
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { isFile } from "./is-file.js";

/** The stage folder's name inside the output folder; an export killed midway leaves it for the next to clear. */
export const EXPORT_STAGE_DIR = ".ssb-export.tmp";

/** Makes an empty stage inside `outDir` (created when missing) and returns its path. */
export async function openExportStage(outDir: string): Promise<string> {
  const stage = path.join(outDir, EXPORT_STAGE_DIR);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  return stage;
}

/** Removes a stage after a failed export; the output folder keeps what it had. */
export async function discardExportStage(stage: string): Promise<void> {
  await rm(stage, { recursive: true, force: true });
}

/**
 * Moves every file of `stage` into `outDir`, then removes the files named in `owned` that the stage did not
 * hold (left by an earlier export); returns the removed names.
 */
export async function commitExportStage(
  stage: string,
  outDir: string,
  owned: readonly string[],
): Promise<string[]> {
  const written = await readdir(stage);
  for (const name of written) await rename(path.join(stage, name), path.join(outDir, name));
  const removed: string[] = [];
  for (const name of owned) {
    if (written.includes(name)) continue;
    const file = path.join(outDir, name);
    if (await isFile(file)) {
      await rm(file, { force: true });
      removed.push(name);
    }
  }
  await rm(stage, { recursive: true, force: true });
  return removed;
}
