/**
 * The package must work installed alone: copy what `files` ships (dist, data, README) into a fresh
 * node_modules/@ssb/eval outside the repository, link the workspace dependencies its package.json lists, and
 * load the shipped benchmarks and read @ssb/verifier's version (what run.json records) through both the ESM and
 * the CJS build. Needs `pnpm build` first (turbo runs it before tests).
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = existsSync(join(pkgDir, "dist", "index.js")) && existsSync(join(pkgDir, "dist", "index.cjs"));
const root = mkdtempSync(join(tmpdir(), "ssb-eval-installed-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!built)("installed package (dist + data only)", () => {
  it("finds its benchmark data and the verifier's version from the ESM and the CJS build", () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
      files: string[];
      dependencies: Record<string, string>;
    };
    const target = join(root, "node_modules", "@ssb", "eval");
    mkdirSync(target, { recursive: true });
    cpSync(join(pkgDir, "package.json"), join(target, "package.json"));
    for (const entry of pkg.files) {
      if (existsSync(join(pkgDir, entry)))
        cpSync(join(pkgDir, entry), join(target, entry), { recursive: true });
    }
    // Its workspace dependencies, as package.json lists them (an import of one it does not list fails here).
    const workspaceDeps = Object.keys(pkg.dependencies).filter((d) => d.startsWith("@ssb/"));
    for (const dep of workspaceDeps) {
      symlinkSync(realpathSync(join(pkgDir, "node_modules", dep)), join(root, "node_modules", dep), "dir");
    }
    const script =
      "const n = (m) => ['gsm8k','math500','aime24'].map((b) => m.loadBenchmark(b).problems.length).join(',');";
    writeFileSync(
      join(root, "esm.mjs"),
      `${script}\nconst m = await import('@ssb/eval');\nconsole.log(n(m), m.packageDataDir(), m.installedVerifierVersion());\n`,
    );
    writeFileSync(
      join(root, "cjs.cjs"),
      `${script}\nconst m = require('@ssb/eval');\nconsole.log(n(m), m.packageDataDir(), m.installedVerifierVersion());\n`,
    );
    // The version run.json records, read from the @ssb/verifier installed beside it (its "./package.json" export).
    const verifier = JSON.parse(
      readFileSync(join(root, "node_modules", "@ssb", "verifier", "package.json"), "utf8"),
    );
    for (const file of ["esm.mjs", "cjs.cjs"]) {
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: "utf8" }).trim();
      expect(out, file).toBe(`1319,500,30 ${join(target, "data")} ${verifier.version}`);
    }
  }, 60_000);
});
