import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { acquirePidLock, LockError } from "./pid-lock.js";

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
  // The holder's pid is on the error too, for callers that word the refusal their own way.
  expect(() => acquirePidLock(file, "out.jsonl", "job")).toThrow(
    expect.objectContaining({ holderPid: process.ppid }),
  );
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
  writeFileSync(file, String(dead));
  acquirePidLock(file, "out.jsonl", "job")();
  // Not a pid, and old: stale (a young one may be another writer's lock in the making, and is waited for).
  writeFileSync(file, "not a pid");
  utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  acquirePidLock(file, "out.jsonl", "job")();
});

it("is refused to a second job in the same process until the first releases it", () => {
  const file = join(dir, "same-process.lock");
  const release = acquirePidLock(file, "out.jsonl", "job");
  // Another path to the same file (relative, through a symlinked parent) names the same lock.
  expect(() => acquirePidLock(join(dir, ".", "same-process.lock"), "out.jsonl", "job")).toThrow(
    /out\.jsonl: locked by another job in this process/,
  );
  expect(() => acquirePidLock(file, "out.jsonl", "job")).toThrow(LockError);
  expect(() => acquirePidLock(file, "out.jsonl", "job")).toThrow(
    expect.objectContaining({ holderPid: null }),
  );
  release();
  release(); // a second release is a no-op: it must not remove a lock taken since
  const again = acquirePidLock(file, "out.jsonl", "job");
  release();
  expect(existsSync(file)).toBe(true);
  again();
  // A file holding our pid that no live acquisition of ours made (a reused pid after a restart) is stale.
  writeFileSync(file, String(process.pid));
  acquirePidLock(file, "out.jsonl", "job")();
  expect(existsSync(file)).toBe(false);
});

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");

it.runIf(existsSync(dist))(
  "is released when its process exits without releasing it (process.exit in a signal handler)",
  () => {
    const file = join(dir, "exit.lock");
    const child = `
    const { acquirePidLock } = await import(${JSON.stringify(pathToFileURL(dist).href)});
    acquirePidLock(process.argv[1], "x", "job");
    console.log(require("node:fs").existsSync(process.argv[1]) ? "held" : "missing");
    process.exit(130);`;
    const run = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", child.replace('require("node:fs")', '(await import("node:fs"))'), file],
      {
        encoding: "utf8",
      },
    );
    expect(run.stdout.trim()).toBe("held");
    expect(run.status).toBe(130);
    expect(existsSync(file)).toBe(false);
    // A released lock leaves no exit listener behind.
    const before = process.listenerCount("exit");
    acquirePidLock(file, "x", "job")();
    expect(process.listenerCount("exit")).toBe(before);
  },
);

it.runIf(existsSync(dist))(
  "is never held by two of several processes that start together",
  async () => {
    // Each child waits for a common start time, tries the lock and, if it gets it, holds it 200 ms and prints
    // when it held it. (A child that starts late, on a loaded machine, may get the lock after another released
    // it: that is fine. Two holders at the same time are not.)
    const child = `
    const { acquirePidLock } = await import(${JSON.stringify(pathToFileURL(dist).href)});
    const [file, start] = process.argv.slice(1);
    while (Date.now() < Number(start)) {}
    try { const release = acquirePidLock(file, "x", "job"); const from = Date.now();
      await new Promise((r) => setTimeout(r, 200)); const to = Date.now(); release();
      console.log(from + " " + to); } catch { console.log("refused"); }`;
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
      const held = outputs
        .filter((o) => o !== "refused")
        .map((o) => o.split(" ").map(Number) as [number, number])
        .sort((a, b) => a[0] - b[0]);
      expect(held.length, `trial ${trial}`).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < held.length; i++) {
        const [previous, next] = [held[i - 1] as [number, number], held[i] as [number, number]];
        expect(next[0], `trial ${trial}: ${outputs.join(", ")}`).toBeGreaterThanOrEqual(previous[1]);
      }
    }
  },
  60_000,
);
