#!/usr/bin/env node
// Run before each example script (package.json): the @ssb packages the examples import load from their built
// dist/ files, which a fresh clone lacks until `pnpm build`; without this check an example dies with
// ERR_MODULE_NOT_FOUND and a stack trace that does not say what to do.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The @ssb dependencies of the package in `packageDir` whose ES module entry is missing, each with the file
 * that is missing (or the package folder, when it was never installed).
 * @param {string} packageDir
 * @returns {{ name: string, missing: string }[]}
 */
export function unbuiltPackages(packageDir) {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8"));
  const names = Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith("@ssb/"));
  const unbuilt = [];
  for (const name of names) {
    const dir = path.join(packageDir, "node_modules", ...name.split("/"));
    const manifestFile = path.join(dir, "package.json");
    if (!existsSync(manifestFile)) {
      unbuilt.push({ name, missing: dir });
      continue;
    }
    const pkg = JSON.parse(readFileSync(manifestFile, "utf8"));
    const entry = pkg.exports?.["."]?.import?.default ?? pkg.module ?? pkg.main ?? "index.js";
    const file = path.join(dir, entry);
    if (!existsSync(file)) unbuilt.push({ name, missing: file });
  }
  return unbuilt;
}

/**
 * What to tell the user, or null when every package is built.
 * @param {{ name: string, missing: string }[]} unbuilt
 * @returns {string | null}
 */
export function unbuiltMessage(unbuilt) {
  if (unbuilt.length === 0) return null;
  const first = unbuilt[0];
  const more = unbuilt.length > 1 ? ` and ${unbuilt.length - 1} more` : "";
  return (
    `examples: ${unbuilt.map((u) => u.name).join(", ")} not built (${first.missing} is missing${more}); ` +
    "run `pnpm install && pnpm build` at the repository root first"
  );
}

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const message = unbuiltMessage(unbuiltPackages(here));
  if (message !== null) {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
