import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node20",
    // installedVerifierVersion reads @ssb/verifier's package.json from import.meta.url, which the CJS build
    // only has through tsup's shim (without it the version would silently go unrecorded there).
    shims: true,
  },
  {
    // The CLI is an executable, not an import target: ESM only, with a shebang.
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
