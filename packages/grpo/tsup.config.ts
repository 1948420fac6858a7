import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    shims: true,
    // tfjs-core's hash_util.d.ts names the global `Long` of @types/long without referencing it, so a consumer
    // with `types: ["node"]` and `skipLibCheck: false` failed on it; our .d.ts reference it for them.
    dts: { banner: '/// <reference types="long" />' },
    clean: true,
    sourcemap: true,
    target: "node20",
    external: ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
  },
  {
    // The CLI is an executable, not an import target: ESM only, with a shebang.
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    external: ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
  },
]);
