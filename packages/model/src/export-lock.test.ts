/**
 * One export at a time per output folder: a second export into it (in this process or another) is refused
 * with a message naming the folder instead of deleting the first one's stage, a lock left by a dead process
 * is taken over, and an output path that names a file is said to be one.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { EXPORT_LOCK_FILE, ExportOutBusyError, ExportOutNotFolderError } from "./export-lock.js";
import { exportOnnx } from "./export-onnx.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-lock-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const quiet = { warn: () => {} };

describe("export lock", () => {
  it("refuses a second export into a folder while the first writes, and the first finishes", async () => {
    const outDir = path.join(workDir, "together");
    const [first, second] = await Promise.allSettled([
      exportOnnx({ modelDir: tinyRefDir, outDir, ...quiet }),
      exportOnnx({ modelDir: tinyRefDir, outDir, variant: "contrib", ...quiet }),
    ]);
    // Which one takes the folder first depends on how their reads interleave: one finishes, the other is refused.
    const settled = [first, second];
    expect(settled.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const error = (settled.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ExportOutBusyError);
    expect(error.message).toBe(
      `another export (in this process) is writing into ${outDir}; wait for it to finish, or export into another folder`,
    );
    expect(await readdir(outDir)).not.toContain(EXPORT_LOCK_FILE);
    // Released: the next export runs.
    await exportOnnx({ modelDir: tinyRefDir, outDir, ...quiet });
  });

  it("refuses a folder another live process holds, naming its pid", async () => {
    const outDir = path.join(workDir, "held");
    await exportOnnx({ modelDir: tinyRefDir, outDir, ...quiet });
    await writeFile(path.join(outDir, EXPORT_LOCK_FILE), String(process.ppid));
    await expect(exportOnnx({ modelDir: tinyRefDir, outDir, ...quiet })).rejects.toThrow(
      `another export (pid ${process.ppid}) is writing into ${outDir}`,
    );
  });

  it("takes over a lock left by a process that died", async () => {
    const outDir = path.join(workDir, "stale");
    await exportOnnx({ modelDir: tinyRefDir, outDir, ...quiet });
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(path.join(outDir, EXPORT_LOCK_FILE), String(dead));
    await exportOnnx({ modelDir: tinyRefDir, outDir, ...quiet });
    expect(await readdir(outDir)).not.toContain(EXPORT_LOCK_FILE);
  });

  it("says an output path that names a file is one", async () => {
    const file = path.join(workDir, "a-file");
    await writeFile(file, "x");
    const error = await exportOnnx({ modelDir: tinyRefDir, outDir: file, ...quiet }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportOutNotFolderError);
    expect((error as Error).message).toBe(`${file} is a file; the export needs a folder there`);
  });
});
