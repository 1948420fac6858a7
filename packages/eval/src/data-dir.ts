/**
 * Where the shipped benchmark files live: `data/` at the package root, beside `dist/` (built) and `src/` (tests,
 * tsx). The package must work when installed alone from npm, so the path comes from this module's own location,
 * never from the working directory or the repository. The CJS build knows its location as `__dirname`; the ESM
 * build as `import.meta.url` (tsup's shims provide whichever one a format lacks).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function moduleDir(): string {
  if (typeof __dirname === "string") return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/** The package's `data/` folder. Throws with the searched path when it is missing (a broken install). */
export function packageDataDir(): string {
  const dir = join(moduleDir(), "..", "data");
  if (!existsSync(join(dir, "README.md"))) {
    throw new Error(
      `@ssb/eval: benchmark data folder not found at ${dir} (is the package installed completely?)`,
    );
  }
  return dir;
}
