import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { unbuiltMessage, unbuiltPackages } from "./check-built.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-examples-built-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("finds nothing to build in this workspace, whose packages the tests import built", () => {
  expect(unbuiltPackages(here)).toEqual([]);
  expect(unbuiltMessage([])).toBeNull();
});

it("names the packages a fresh clone has not built yet, and what to run", () => {
  // A package folder as `pnpm install` leaves it in a fresh clone: package.json, no dist/.
  const write = (name: string, dist: boolean) => {
    const pkgDir = path.join(dir, "node_modules", "@ssb", name);
    mkdirSync(pkgDir, { recursive: true });
    const exports = { ".": { import: { default: "./dist/index.js" } } };
    writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify({ name: `@ssb/${name}`, exports }));
    if (dist) {
      mkdirSync(path.join(pkgDir, "dist"));
      writeFileSync(path.join(pkgDir, "dist", "index.js"), "export {};\n");
    }
  };
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({
      dependencies: {
        "@ssb/verifier": "workspace:^",
        "@ssb/curation": "workspace:^",
        "@ssb/eval": "workspace:^",
        yaml: "2",
      },
    }),
  );
  write("verifier", true);
  write("curation", false);
  const unbuilt = unbuiltPackages(dir);
  expect(unbuilt).toEqual([
    {
      name: "@ssb/curation",
      missing: path.join(dir, "node_modules", "@ssb", "curation", "dist", "index.js"),
    },
    { name: "@ssb/eval", missing: path.join(dir, "node_modules", "@ssb", "eval") },
  ]);
  expect(unbuiltMessage(unbuilt)).toBe(
    `examples: @ssb/curation, @ssb/eval not built (${unbuilt[0]?.missing} is missing and 1 more); ` +
      "run `pnpm install && pnpm build` at the repository root first",
  );
});
