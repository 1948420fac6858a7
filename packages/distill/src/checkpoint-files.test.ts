import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkpointDirName } from "./checkpoint-files.js";
import { latestCheckpoint, TRAINER_STATE_FILE } from "./train-checkpoint.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A checkpoints folder whose only checkpoint holds `stateText` as its trainer_state.json. */
function checkpointsWithState(stateText: string): { root: string; stateFile: string } {
  const root = mkdtempSync(path.join(tmpdir(), "distill-ckpt-"));
  dirs.push(root);
  const dir = path.join(root, checkpointDirName(2));
  mkdirSync(dir);
  const stateFile = path.join(dir, TRAINER_STATE_FILE);
  writeFileSync(stateFile, stateText);
  return { root, stateFile };
}

describe("latestCheckpoint with a damaged trainer_state.json (what --resume reads)", () => {
  it("names the file and line:column of a truncated state, and leaves it as it was", async () => {
    const truncated = '{\n  "step": 2,\n  "totalSteps": 4,\n  "epoch": ';
    const { root, stateFile } = checkpointsWithState(truncated);
    await expect(latestCheckpoint(root)).rejects.toThrow(
      `${stateFile}:4:12: not valid JSON (Unexpected end of JSON input)`,
    );
    expect(readFileSync(stateFile, "utf8")).toBe(truncated);
  });

  it("names the file when the state is JSON but not an object", async () => {
    const { root, stateFile } = checkpointsWithState("null\n");
    await expect(latestCheckpoint(root)).rejects.toThrow(`${stateFile}: expected a JSON object, found null`);
  });

  it("reads a complete state", async () => {
    const { root } = checkpointsWithState('{"step": 2}\n');
    expect((await latestCheckpoint(root))?.state.step).toBe(2);
  });
});

describe("latestCheckpoint in a folder holding another kind of run's checkpoints", () => {
  it("refuses a step folder without trainer_state.json (a GRPO run's), naming it and what it holds", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "distill-ckpt-"));
    dirs.push(root);
    const other = path.join(root, checkpointDirName(3));
    mkdirSync(path.join(other, "adapter"), { recursive: true });
    writeFileSync(path.join(other, "grpo_state.json"), '{"step": 3}\n');
    // Ignored, it made the trainer start afresh there: empty that run's metrics.jsonl, prune its checkpoints.
    await expect(latestCheckpoint(root)).rejects.toThrow(
      `${other}: a checkpoint without trainer_state.json (it holds adapter, grpo_state.json): another kind of run's folder`,
    );
    expect(readFileSync(path.join(other, "grpo_state.json"), "utf8")).toBe('{"step": 3}\n');
  });
});

describe("latestCheckpoint beside a checkpoint whose pruning a kill cut short", () => {
  it("skips a step folder holding no state file at all (only part of its adapter left)", async () => {
    const { root } = checkpointsWithState('{"step": 2}\n');
    const pruned = path.join(root, checkpointDirName(1));
    mkdirSync(path.join(pruned, "adapter"), { recursive: true });
    expect((await latestCheckpoint(root))?.state.step).toBe(2);
    rmSync(path.join(root, checkpointDirName(2)), { recursive: true });
    expect(await latestCheckpoint(root)).toBeNull();
  });
});

describe("latestCheckpoint after a kill during a checkpoint write", () => {
  it("ignores the half-written step-N.tmp folder and resumes from the newest complete one", async () => {
    const { root } = checkpointsWithState('{"step": 2}\n');
    const torn = path.join(root, `${checkpointDirName(4)}.tmp`);
    mkdirSync(path.join(torn, "adapter"), { recursive: true });
    writeFileSync(path.join(torn, TRAINER_STATE_FILE), '{"step": 4'); // never renamed into place
    expect((await latestCheckpoint(root))?.state.step).toBe(2);
  });
});
