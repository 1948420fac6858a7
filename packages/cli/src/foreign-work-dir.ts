/**
 * A `--work` folder that holds something other than an ssb run's files. `ssb run` overwrites the work
 * directory's config.json with the resolved config and deletes the stage folders it redoes (`problems/`,
 * `rollout/`, ... `report/`), so a folder of the user's own that happens to use one of those names would be
 * lost without a word. This is checked before anything is written.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseJsonObjectFile } from "@ssb/durable-files";
import { STAGES } from "./stages.js";
import { STAGE_FILE } from "./work-dir.js";

/** The sections every config `ssb run` pins has (the resolved config: defaults merged in). */
const PINNED_SECTIONS = ["problems", "rollout", "curation", "distill", "eval"] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Why `value` is not a config `ssb run` pinned, or null when it is one. */
function notPinnedReason(value: Record<string, unknown>): string | null {
  if (typeof value.seed !== "number") return 'it has no numeric "seed"';
  const missing = PINNED_SECTIONS.filter((s) => !isObject(value[s]));
  if (missing.length > 0) return `it has no ${missing.map((s) => `"${s}"`).join(", ")} section`;
  return null;
}

const hasFiles = (dir: string): boolean => existsSync(dir) && readdirSync(dir).length > 0;

/**
 * Throws when `workDir` holds files `ssb run` would overwrite or delete but did not write:
 * - a config.json that is a JSON object but not a pinned run config (one that is not JSON at all is left to
 *   the pin check, which refuses it naming line:column);
 * - stage folders with files while the work directory has no config.json and `problems/` has no stage.json
 *   (every stage after the first runs only once `problems/stage.json` is written, so a run's folders always
 *   have it; a run's directory whose config.json was deleted, as the pin check's message allows, still does).
 */
export function checkForeignWorkDir(workDir: string): void {
  const configFile = path.join(workDir, "config.json");
  if (existsSync(configFile)) {
    let value: Record<string, unknown> | null = null;
    try {
      value = parseJsonObjectFile(readFileSync(configFile, "utf8"), configFile);
    } catch {
      value = null; // not JSON (or not an object): the pin check names it
    }
    const reason = value === null ? null : notPinnedReason(value);
    if (reason !== null)
      throw new Error(
        `${configFile} is not a config ssb run wrote (${reason}), and the run would overwrite it: ${workDir} ` +
          "holds something else; use another work directory (nothing was written)",
      );
    return;
  }
  const used = STAGES.filter((s) => hasFiles(path.join(workDir, s)));
  if (used.length === 0 || existsSync(path.join(workDir, "problems", STAGE_FILE))) return;
  const names = used.map((s) => `${s}/`).join(", ");
  throw new Error(
    `${workDir} holds ${names} but no config.json: not an ssb run's work directory, and the run would ` +
      `delete ${used.length === 1 ? "that folder" : "those folders"}; use another work directory, or move ` +
      `${names} away (nothing was written)`,
  );
}
