import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveGrpoConfig } from "./grpo-config.js";
import { runGrpo } from "./run-grpo.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("one GRPO run per output folder", () => {
  it("refuses a folder another live run holds, before loading anything, and leaves its lock", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "grpo-lock-"));
    dirs.push(outDir);
    const lock = path.join(outDir, "grpo.lock");
    writeFileSync(lock, String(process.ppid)); // a live process that is not this one
    const run = runGrpo({
      modelDir: path.join(outDir, "no-model"), // never read: the lock is taken first
      problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
      outDir,
      config: resolveGrpoConfig({}),
    });
    await expect(run).rejects.toThrow(new RegExp(`locked by a running grpo run \\(pid ${process.ppid}`));
    expect(existsSync(lock)).toBe(true);
    expect(readdirSync(outDir)).toEqual(["grpo.lock"]);
  });
});
