/**
 * The work directory: one subdirectory per stage, and in each a `stage.json` written (atomically) only when the
 * stage has finished. A stage without it is unfinished: rerunning continues it (the packages resume from their
 * own files), and every later stage is treated as not run.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { STAGES, type StageName, stageIndex } from "./stages.js";

export const STAGE_FILE = "stage.json";

export interface StageRecord {
  stage: StageName;
  /** Wall-clock seconds of the session that finished the stage (earlier, interrupted sessions not counted). */
  seconds: number;
  /** True when the finishing session picked up an interrupted earlier one. */
  resumed: boolean;
  completedAt: string;
  /** Stage-specific numbers for the summary table and the report. */
  stats: Record<string, unknown>;
}

export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function stageDir(workDir: string, stage: StageName): string {
  return path.join(workDir, stage);
}

export function readStageRecord(workDir: string, stage: StageName): StageRecord | null {
  const file = path.join(stageDir(workDir, stage), STAGE_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StageRecord;
  } catch (e) {
    throw new Error(`${file}: unreadable stage record (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function markStageComplete(workDir: string, record: StageRecord): void {
  const dir = stageDir(workDir, record.stage);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, STAGE_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** Delete `stage`'s outputs and those of every later stage (for `--from`). */
export function clearFrom(workDir: string, stage: StageName): void {
  for (const s of STAGES.slice(stageIndex(stage))) {
    rmSync(stageDir(workDir, s), { recursive: true, force: true });
  }
}

/** The first stage without a completion record (null when all are complete). */
export function firstIncompleteStage(workDir: string): StageName | null {
  for (const s of STAGES) if (readStageRecord(workDir, s) === null) return s;
  return null;
}
