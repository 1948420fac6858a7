import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkpointDirName } from "@ssb/distill";
import { afterEach, describe, expect, it } from "vitest";
import { GRPO_STATE_FILE, latestGrpoCheckpoint } from "./grpo-checkpoint.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("latestGrpoCheckpoint with a damaged grpo_state.json (what a resume reads)", () => {
  it("names the file and the line:column where a truncated state ends, and leaves it as it was", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "grpo-ckpt-"));
    dirs.push(root);
    const dir = path.join(root, checkpointDirName(3));
    mkdirSync(dir);
    const stateFile = path.join(dir, GRPO_STATE_FILE);
    const truncated = '{\n  "step": 3,\n  "elapsedSec": ';
    writeFileSync(stateFile, truncated);
    await expect(latestGrpoCheckpoint(root)).rejects.toThrow(
      `${stateFile}:3:17: not valid JSON (Unexpected end of JSON input)`,
    );
    expect(readFileSync(stateFile, "utf8")).toBe(truncated);
  });
});
