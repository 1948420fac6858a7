/**
 * Checks on an output folder's earlier contents, made before a run writes anything there: a resume is only
 * safe against known settings, and a rerun must not replace what an earlier run recorded.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { readJsonFile } from "@ssb/durable-files";
import { describe } from "./parse-records.js";
import type { CurationOutputFiles } from "./run-curation.js";

/** True when the file exists and holds more than whitespace. */
function holdsData(path: string): boolean {
  if (!existsSync(path)) return false;
  if (statSync(path).size === 0) return false;
  return readFileSync(path, "utf8").trim() !== "";
}

/**
 * Refuses a folder that holds earlier outputs but no run.json: a resume would append to records made with
 * settings nobody can check any more (run.json is always written before the first record).
 */
export function checkRecordsHaveRunFile(outDir: string, files: CurationOutputFiles): void {
  if (existsSync(files.run)) return;
  const found = [files.prompts, files.dropped, files.pairs, files.summary]
    .filter(holdsData)
    .map((f) => basename(f));
  if (found.length === 0) return;
  throw new Error(
    `output folder ${outDir} holds earlier outputs (${found.join(", ")}) but no run.json, so the settings they were made with are unknown; use a fresh output folder (--out), or remove those files to start over in this one`,
  );
}

/**
 * Refuses a run without a teacher generator in a folder where a teacher-mode run has started (it made
 * pairs.jsonl): it would replace that run's summary.json (pairs kept, reply lengths, teacher tries) with a
 * selection-only one. The other way, selection first and then the teacher, is the usual two-step workflow.
 */
export function checkNoTeacherModeDowngrade(
  outDir: string,
  files: CurationOutputFiles,
  teacher: boolean,
): void {
  if (teacher || !existsSync(files.pairs)) return;
  throw new Error(
    `output folder ${outDir} holds a teacher-mode run (pairs.jsonl), and this run has no teacher (ssb-curate: no --teacher-replies): it would replace that run's summary.json with a selection-only one; rerun with the teacher replies to resume it, or use another output folder (--out) for a selection-only run`,
  );
}

/** run.json's `format`. */
export const RUN_FORMAT = "ssb-curation-run/1";

/** The `settings` object of a run.json, or an error naming the file and what is wrong with it. */
export function readRunSettings(path: string): Record<string, unknown> {
  // Names the file (line:column for damaged JSON).
  const parsed = readJsonFile(path);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${path}: expected a JSON object with a "settings" field, found ${describe(parsed)}`);
  const format = (parsed as Record<string, unknown>).format;
  // Another tool's run.json (an ssb-eval or ssb-distill output folder): say so rather than name a field.
  if (typeof format === "string" && format !== RUN_FORMAT)
    throw new Error(
      `${path}: holds a run of another kind (format "${format}"), not a curation run ("${RUN_FORMAT}"); use another output folder`,
    );
  const settings = (parsed as Record<string, unknown>).settings;
  if (typeof settings !== "object" || settings === null || Array.isArray(settings))
    throw new Error(`${path}: field "settings" must be an object, found ${describe(settings)}`);
  return settings as Record<string, unknown>;
}
