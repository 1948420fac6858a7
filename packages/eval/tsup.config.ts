import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node20",
    // The benchmark files ship in data/ beside dist/; the loader finds them from its own location, which needs
    // import.meta.url in the ESM build and __dirname in the CJS build. shims makes both available in both.
    shims: true,
  },
  {
    // The CLI is an executable, not an import target: ESM only, with a shebang.
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    shims: true,
    banner: { js: "#!/usr/bin/env node" },
  },
]);
