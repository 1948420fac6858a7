import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node20",
    // The native runtime stays a runtime dependency, never bundled.
    external: ["onnxruntime-node"],
  },
  {
    // The CLI is ESM only; it imports the library code bundled into it.
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    external: ["onnxruntime-node"],
  },
]);
