import { defineConfig } from "tsup";

export default defineConfig([
  {
    // dp-worker is the data-parallel worker thread's script; data-parallel.ts finds it next to the bundle.
    entry: { index: "src/index.ts", "dp-worker": "src/dp-worker.ts" },
    format: ["esm", "cjs"],
    shims: true,
    // tfjs-core's hash_util.d.ts names the global `Long` of @types/long without referencing it, so a consumer
    // with `types: ["node"]` and `skipLibCheck: false` failed on it; our .d.ts reference it for them.
    dts: { banner: '/// <reference types="long" />' },
    clean: true,
    sourcemap: true,
    target: "node20",
    // tfjs-node(-gpu) are optional and loaded dynamically when installed; never bundle them.
    external: ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
  },
  {
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    external: ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
  },
]);
