import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutputPath, claimOutputFolder, makeFolders, removeEmptyFolders } from "./output-folder.js";
import { LockError } from "./pid-lock.js";

const root = mkdtempSync(join(tmpdir(), "ssb-output-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = { lockName: "job.lock", holder: "test job" };

describe("claimOutputFolder", () => {
  it("makes the folder, locks it for one job at a time, and releases it", () => {
    const out = join(root, "a", "b");
    const release = claimOutputFolder(out, options);
    expect(readdirSync(out)).toEqual(["job.lock"]);
    // The same folder under another spelling is the same claim.
    expect(() => claimOutputFolder(join(out, "."), options)).toThrow(LockError);
    expect(() => claimOutputFolder(out, options)).toThrow(
      `${out}: locked by another test job in this process`,
    );
    release();
    expect(existsSync(join(out, "job.lock"))).toBe(false);
    claimOutputFolder(out, options)();
  });

  it("names a path that is a file, or lies under one", () => {
    const file = join(root, "file.txt");
    writeFileSync(file, "x");
    expect(() => claimOutputFolder(file, options)).toThrow(
      `output folder ${file} exists and is not a folder`,
    );
    expect(() => claimOutputFolder(join(file, "out", "deeper"), options)).toThrow(
      `cannot create output folder ${join(file, "out", "deeper")} (${file} is a file, not a folder)`,
    );
    // Checked without creating anything, as a job does before reading its inputs.
    expect(() => checkOutputPath(file)).toThrow("exists and is not a folder");
    checkOutputPath(join(root, "new", "folder"));
    expect(existsSync(join(root, "new"))).toBe(false);
  });

  it.runIf(existsSync("/proc/self"))("fails at once on a path no folder can be made in (under /proc)", () => {
    // Node 20's recursive mkdir retries such a path forever, so this runs in a child process with a timeout,
    // against the built package (test runs after build).
    const dist = pathToFileURL(join(import.meta.dirname, "..", "dist", "index.js")).href;
    const script = `import { claimOutputFolder } from ${JSON.stringify(dist)};
try { claimOutputFolder("/proc/ssb-no-such/out", { lockName: "job.lock", holder: "test job" }); }
catch (error) { console.log(error.message); }`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.signal).toBeNull(); // not killed by the timeout
    expect(child.stdout).toContain("cannot create output folder /proc/ssb-no-such/out (ENOENT");
  });

  it.runIf(process.getuid?.() !== 0)("names a folder it cannot write", () => {
    const dir = join(root, "read-only");
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    try {
      expect(() => claimOutputFolder(dir, options)).toThrow(`output folder ${dir} is not writable (EACCES`);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe("makeFolders and removeEmptyFolders", () => {
  it("make the missing folders, say the outermost, and remove them again only while empty", () => {
    const base = mkdtempSync(join(tmpdir(), "ssb-make-"));
    try {
      const deep = join(base, "a", "b", "c");
      expect(makeFolders(deep)).toBe(join(base, "a"));
      expect(makeFolders(deep)).toBeUndefined(); // there already
      writeFileSync(join(base, "a", "kept.txt"), "x");
      removeEmptyFolders(deep, join(base, "a"));
      expect(existsSync(join(base, "a", "b"))).toBe(false);
      expect(existsSync(join(base, "a", "kept.txt"))).toBe(true); // a folder with something in it stays
      // A file in the way fails as mkdir -p does.
      expect(() => makeFolders(join(base, "a", "kept.txt"))).toThrow(
        expect.objectContaining({ code: "EEXIST" }),
      );
      expect(() => makeFolders(join(base, "a", "kept.txt", "d"))).toThrow(
        expect.objectContaining({ code: "ENOTDIR" }),
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
