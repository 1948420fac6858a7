/**
 * The work directory: one subdirectory per stage, and in each a `stage.json` written (atomically) only when the
 * stage has finished. A stage without it is unfinished: rerunning continues it (the packages resume from their
 * own files), and every later stage is treated as not run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseJsonFile, writeFileAtomic } from "@ssb/durable-files";
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

export function stageDir(workDir: string, stage: StageName): string {
  return path.join(workDir, stage);
}

/** What a damaged file of a finished stage asks for: redoing that stage (a rerun never does it unasked). */
export function redoHint(stage: StageName): string {
  return `rerun with --from ${stage} to redo the ${stage} stage and what follows`;
}

/**
 * A JSON file a stage wrote, parsed. A truncated or edited one names the file (line:col for a syntax error)
 * and the `--from` that redoes its stage; a byte-order mark (an editor's) is not an error.
 */
export function readStageJson(file: string, stage: StageName): unknown {
  try {
    return parseJsonFile(readFileSync(file, "utf8"), file);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; ${redoHint(stage)}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** What is wrong with a parsed stage.json of `stage`, or null when it is a record of that stage. */
function stageRecordProblem(value: unknown, stage: StageName): string | null {
  if (!isObject(value))
    return `expected a JSON object, found ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`;
  if (value.stage !== stage)
    return `"stage" is ${JSON.stringify(value.stage) ?? "missing"}, expected "${stage}"`;
  if (typeof value.seconds !== "number" || !(value.seconds >= 0))
    return `"seconds" is not a number of seconds`;
  if (typeof value.resumed !== "boolean") return `"resumed" is not true or false`;
  if (typeof value.completedAt !== "string") return `"completedAt" is not a time`;
  if (!isObject(value.stats)) return `"stats" is not an object`;
  return null;
}

/**
 * The stage's completion record, or null when the stage has not finished (no stage.json). A stage.json that
 * is there but is not a record (truncated, `null`, another shape) is an error, never "not finished": that
 * would redo the stage and delete every later one's outputs unasked.
 */
export function readStageRecord(workDir: string, stage: StageName): StageRecord | null {
  const file = path.join(stageDir(workDir, stage), STAGE_FILE);
  if (!existsSync(file)) return null;
  const value = readStageJson(file, stage);
  const problem = stageRecordProblem(value, stage);
  if (problem !== null) throw new Error(`${file}: not a stage record (${problem}); ${redoHint(stage)}`);
  return value as unknown as StageRecord;
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
