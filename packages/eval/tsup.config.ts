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
    // @ssb/rollout is imported lazily (only a model evaluation needs ONNX Runtime). Left as import() in the CJS
    // build, that loaded its ESM copy (and @ssb/model's, through it) beside the CJS ones the rest of the build
    // requires: two copies of each package, whose error classes no longer compared (instanceof RolloutError was
    // false). As require(), a CJS user gets one copy.
    esbuildOptions(options, context) {
      if (context.format === "cjs") options.supported = { ...options.supported, "dynamic-import": false };
    },
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
