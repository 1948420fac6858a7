import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KD_USAGE, workDirArg, workDirProblem } from "./work-dir.js";

const root = mkdtempSync(path.join(os.tmpdir(), "ssb-kd-work-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the kd-from-store work folder", () => {
  it("takes a missing or empty folder", () => {
    expect(workDirProblem(path.join(root, "new"))).toBeUndefined();
    mkdirSync(path.join(root, "empty"));
    expect(workDirProblem(path.join(root, "empty"))).toBeUndefined();
  });

  it("refuses a folder with files, naming it", () => {
    mkdirSync(path.join(root, "used"));
    writeFileSync(path.join(root, "used", "a.txt"), "x");
    expect(workDirProblem(path.join(root, "used"))).toBe(
      `${path.join(root, "used")} is not empty; give a new or empty folder`,
    );
  });

  it("refuses a path that is a file with a message, not an ENOTDIR stack trace", () => {
    const file = path.join(root, "a-file");
    writeFileSync(file, "x");
    expect(workDirProblem(file)).toBe(`${file} is a file, not a folder; give a new or empty folder`);
  });
});

describe("the kd-from-store command line", () => {
  it("takes no argument or one folder", () => {
    expect(workDirArg([])).toEqual({});
    expect(workDirArg(["runs/kd"])).toEqual({ dir: "runs/kd" });
  });

  it('skips npm\'s "--" separator, which pnpm passes on (it became a folder named "--")', () => {
    expect(workDirArg(["--", "runs/kd"])).toEqual({ dir: "runs/kd" });
    expect(workDirArg(["--"])).toEqual({});
  });

  it("answers --help with the usage, and refuses other options and extra arguments", () => {
    expect(workDirArg(["--help"])).toEqual({ error: KD_USAGE });
    expect(workDirArg(["--out", "x"]).error).toBe(
      `kd-from-store: one work folder at most, found 2 arguments\n${KD_USAGE}`,
    );
    expect(workDirArg(["--out"]).error).toBe(`kd-from-store: unknown option "--out"\n${KD_USAGE}`);
  });
});
