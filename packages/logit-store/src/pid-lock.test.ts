import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { acquirePidLock } from "./pid-lock.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-pid-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("is held by one live process at a time, and taken over from a dead one", () => {
  const file = join(dir, "out.lock");
  const release = acquirePidLock(file, "out.jsonl", "job");
  expect(readFileSync(file, "utf8")).toBe(String(process.pid));
  release();
  expect(existsSync(file)).toBe(false);
  writeFileSync(file, String(process.ppid)); // a live process that is not us
  expect(() => acquirePidLock(file, "out.jsonl", "job")).toThrow(
    new RegExp(`out\\.jsonl: locked by a running job \\(pid ${process.ppid}, .*out\\.lock\\)`),
  );
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
  writeFileSync(file, String(dead));
  acquirePidLock(file, "out.jsonl", "job")();
  writeFileSync(file, "not a pid");
  acquirePidLock(file, "out.jsonl", "job")();
});
