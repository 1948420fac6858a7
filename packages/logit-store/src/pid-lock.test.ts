import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  // Not a pid, and old: stale (a young one may be another writer's lock in the making, and is waited for).
  writeFileSync(file, "not a pid");
  utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  acquirePidLock(file, "out.jsonl", "job")();
});

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");

it.runIf(existsSync(dist))(
  "lets one of several processes that start together hold it",
  async () => {
    // Each child waits for a common start time, tries the lock, holds it 200 ms and says whether it got it.
    const child = `
    const { acquirePidLock } = await import(${JSON.stringify(pathToFileURL(dist).href)});
    const [file, start] = process.argv.slice(1);
    while (Date.now() < Number(start)) {}
    try { const release = acquirePidLock(file, "x", "job"); console.log("GOT");
      await new Promise((r) => setTimeout(r, 200)); release(); } catch { console.log("REFUSED"); }`;
    for (let trial = 0; trial < 6; trial++) {
      const file = join(dir, `race-${trial}.lock`);
      const start = String(Date.now() + 400);
      const outputs = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<string>((resolve, reject) =>
              execFile(process.execPath, ["--input-type=module", "-e", child, file, start], (e, out) =>
                e ? reject(e) : resolve(out.trim()),
              ),
            ),
        ),
      );
      expect(
        outputs.filter((o) => o === "GOT"),
        `trial ${trial}: ${outputs.join(", ")}`,
      ).toHaveLength(1);
    }
  },
  30_000,
);
