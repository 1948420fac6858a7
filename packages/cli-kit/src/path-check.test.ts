import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "./command-line.js";
import { checkPath } from "./path-check.js";

const dir = mkdtempSync(join(tmpdir(), "cli-kit-path-"));
const file = join(dir, "pairs.jsonl");
writeFileSync(file, "{}\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("checkPath", () => {
  it("returns a path of the right kind", () => {
    expect(checkPath(file, "file")).toBe(file);
    expect(checkPath(dir, "folder", { flag: "--logits" })).toBe(dir);
    expect(checkPath(file, "file or folder")).toBe(file);
    expect(checkPath(dir, "file or folder")).toBe(dir);
  });

  it("names the flag and the path as typed for a missing path, as a usage error", () => {
    const missing = thrown(() => checkPath("nope", "folder", { flag: "--adapter" }));
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toBe("--adapter nope: no such folder");
    expect(thrown(() => checkPath("nope.yaml", "file")).message).toBe("nope.yaml: no such file");
    // A file on the way to the path is as missing as a missing folder.
    const under = join(file, "x");
    expect(thrown(() => checkPath(under, "file or folder", { flag: "--model" })).message).toBe(
      `--model ${under}: no such file or folder`,
    );
  });

  it("refuses the wrong kind, saying what was expected", () => {
    const folder = thrown(() => checkPath(dir, "file", { flag: "--pairs" }));
    expect(folder).toBeInstanceOf(UsageError);
    expect(folder.message).toBe(`--pairs ${dir}: is a folder, expected a file`);
    expect(
      thrown(() => checkPath(file, "folder", { flag: "--model", expected: "a checkpoint folder" })).message,
    ).toBe(`--model ${file}: is a file, expected a checkpoint folder`);
  });

  it.skipIf(process.getuid?.() === 0)(
    "says a path it cannot read is unreadable, as a failure, not a usage error",
    () => {
      const locked = join(dir, "locked");
      mkdirSync(locked);
      chmodSync(locked, 0o000);
      try {
        const error = thrown(() => checkPath(join(locked, "model"), "folder", { flag: "--model" }));
        expect(error).not.toBeInstanceOf(UsageError);
        expect(error.message).toMatch(/^--model .*locked\/model: cannot be read \(EACCES/);
      } finally {
        chmodSync(locked, 0o700);
      }
    },
  );
});
