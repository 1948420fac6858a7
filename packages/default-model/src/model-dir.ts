/**
 * Where the committed checkpoint lives. The package ships `model/` beside `dist/`, so the path is found from
 * this module's own location (tsup's shims give the CJS build an `import.meta.url` too).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The directory of the embedded default checkpoint (config.json, model.safetensors, tokenizer files). */
export function defaultModelDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/index.js -> ../model; src/model-dir.ts (tests, tsx) -> ../model as well.
  const dir = path.resolve(here, "..", "model");
  if (!existsSync(path.join(dir, "config.json"))) {
    throw new Error(
      `@ssb/default-model: no checkpoint at ${dir}; run \`pnpm --filter @ssb/default-model train\` to build it`,
    );
  }
  return dir;
}
