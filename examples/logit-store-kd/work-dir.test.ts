import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { workDirProblem } from "./work-dir.js";

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
