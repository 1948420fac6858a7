import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
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
