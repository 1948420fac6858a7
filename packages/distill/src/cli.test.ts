import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** ssb-distill train with `args`: exit code and stderr (Node with tsx as a loader, as resume.test.ts). */
function train(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "train", ...args], {
    cwd: packageDir,
    encoding: "utf8",
  });
  return { status: result.status, stderr: result.stderr };
}

let dir: string;
let model: string;
let pairs: string;
let logits: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-cli-"));
  // Paths are checked before anything reads them: these need only exist.
  model = path.join(dir, "model");
  logits = path.join(dir, "logits");
  mkdirSync(model);
  mkdirSync(logits);
  pairs = path.join(dir, "pairs.jsonl");
  writeFileSync(pairs, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ssb-distill train with a bad path flag", () => {
  it("--pairs DIR: names the flag and the path and says it is a directory", () => {
    const out = path.join(dir, "out");
    const { status, stderr } = train(["--model", model, "--pairs", dir, "--logits", logits, "--out", out]);
    expect(status).toBe(1);
    expect(stderr).toContain(`ssb-distill: --pairs ${dir}: is a directory, expected a file`);
    expect(stderr).not.toContain("EISDIR");
  });

  it("--logits naming no folder, or a file: names the flag", () => {
    const out = path.join(dir, "out");
    const missing = path.join(dir, "no-logits");
    const gone = train(["--model", model, "--pairs", pairs, "--logits", missing, "--out", out]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(`--logits ${missing}: no such directory`);
    const file = train(["--model", model, "--pairs", pairs, "--logits", pairs, "--out", out]);
    expect(file.stderr).toContain(`--logits ${pairs}: is a file, expected a directory`);
  });
});
