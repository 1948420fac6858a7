/**
 * Runs one README example the way a user who installed the package would: the example's file sits in a
 * fresh folder whose node_modules holds the package (under its own name) and the packages it depends on,
 * so `import { … } from "@ssb/x"` resolves through the package's `exports` to its built dist, never to its
 * source. The package there holds only the files `npm pack` would publish, so an example also fails when
 * something it needs at run time is left out of `files`. TypeScript runs through tsx, as `npx tsx
 * example.ts` would.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { ReadmeExample } from "./readme-blocks.js";

export interface RunExampleOptions {
  /** The package the README belongs to (its package.json `name` is what the example imports). */
  packageDir: string;
  /** Where the example runs (relative paths in it resolve here). Default: the fresh folder holding it. */
  cwd?: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** Default 120 s. */
  timeoutMs?: number;
}

export interface ExampleRun {
  /** Exit status; null when the example was killed (timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** `README.md:LINE`, for messages. */
  where: string;
}

const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");

const packedByPackage = new Map<string, string[]>();

/** The files `npm pack` would put in the package's tarball (relative paths), asked once per package. */
export function packedFiles(packageDir: string): string[] {
  const dir = path.resolve(packageDir);
  const known = packedByPackage.get(dir);
  if (known) return known;
  const json = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [report] = JSON.parse(json) as { files: { path: string }[] }[];
  if (!report) throw new Error(`${dir}: npm pack --dry-run reported nothing`);
  const files = report.files.map((f) => f.path);
  packedByPackage.set(dir, files);
  return files;
}

/** node_modules for the example: the package as published plus every package its own node_modules holds. */
function linkPackages(root: string, packageDir: string): void {
  const modules = path.join(root, "node_modules");
  const manifest = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as {
    name: string;
  };
  const own = path.join(modules, manifest.name);
  for (const file of packedFiles(packageDir)) {
    mkdirSync(path.dirname(path.join(own, file)), { recursive: true });
    copyFileSync(path.join(packageDir, file), path.join(own, file));
  }
  const installed = path.join(packageDir, "node_modules");
  let entries: string[] = [];
  try {
    entries = readdirSync(installed);
  } catch {
    return; // a package with no dependencies
  }
  for (const entry of entries) {
    if (entry.startsWith(".")) continue;
    const scoped = entry.startsWith("@");
    for (const name of scoped
      ? readdirSync(path.join(installed, entry)).map((n) => `${entry}/${n}`)
      : [entry]) {
      const target = path.join(modules, name);
      if (target === own) continue;
      mkdirSync(path.dirname(target), { recursive: true });
      symlinkSync(path.join(installed, name), target, "dir");
    }
  }
}

export async function runReadmeExample(
  example: ReadmeExample,
  options: RunExampleOptions,
): Promise<ExampleRun> {
  const root = mkdtempSync(path.join(os.tmpdir(), "ssb-readme-example-"));
  const where = `${path.basename(example.file)}:${example.line}`;
  try {
    linkPackages(root, options.packageDir);
    const file = path.join(root, `readme-line-${example.line}.${example.language === "ts" ? "mts" : "mjs"}`);
    writeFileSync(file, example.code);
    return await new Promise<ExampleRun>((resolve) => {
      execFile(
        process.execPath,
        [tsxCli, file],
        {
          cwd: options.cwd ?? root,
          env: { ...process.env, ...options.env },
          timeout: options.timeoutMs ?? 120_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
          resolve({ status, stdout, stderr, where });
        },
      );
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
