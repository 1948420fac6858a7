/**
 * A user project that imports @ssb/grpo and typechecks with `skipLibCheck: false` must not fail inside the
 * declarations our .d.ts pull in. This builds such a project in a temp dir (the package linked into its
 * node_modules, as a file: dependency would be) and runs the TypeScript compiler on the *built* dist, so run
 * `pnpm --filter @ssb/grpo build` first (turbo's test task does).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

interface ConsumerError {
  file: string;
  code: number;
  text: string;
}

/** Typecheck an ESM and a CommonJS consumer file (index.d.ts and index.d.cts) with the given `lib`. */
async function consumerErrors(lib: readonly string[]): Promise<ConsumerError[]> {
  if (!existsSync(path.join(packageRoot, "dist", "index.d.ts")))
    throw new Error(
      `${path.join(packageRoot, "dist", "index.d.ts")} missing: run pnpm --filter @ssb/grpo build`,
    );
  const dir = await mkdtemp(path.join(os.tmpdir(), "grpo-consumer-"));
  try {
    await mkdir(path.join(dir, "node_modules", "@ssb"), { recursive: true });
    await mkdir(path.join(dir, "node_modules", "@types"), { recursive: true });
    await symlink(packageRoot, path.join(dir, "node_modules", "@ssb", "grpo"), "dir");
    const typesNode = path.dirname(require.resolve("@types/node/package.json"));
    await symlink(typesNode, path.join(dir, "node_modules", "@types", "node"), "dir");
    await writeFile(path.join(dir, "package.json"), '{ "type": "module" }\n');
    const esm = path.join(dir, "index.ts");
    await writeFile(
      esm,
      'import * as grpo from "@ssb/grpo";\nimport type { GrpoConfig } from "@ssb/grpo";\n' +
        "export const api: typeof grpo = grpo;\nexport type Config = GrpoConfig;\n",
    );
    const cjs = path.join(dir, "require.cts");
    await writeFile(cjs, 'import grpo = require("@ssb/grpo");\nexport const api: typeof grpo = grpo;\n');
    const program = ts.createProgram([esm, cjs], {
      target: ts.ScriptTarget.ES2022,
      lib: lib.map((name) => `lib.${name.toLowerCase()}.d.ts`),
      types: ["node"],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ({
      file: d.file?.fileName ?? "(global)",
      code: d.code,
      text: ts.flattenDiagnosticMessageText(d.messageText, " "),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("the built .d.ts in a consumer with skipLibCheck: false", () => {
  it("has no errors with lib [ES2022, DOM], strict and types [node]", async () => {
    // Before: 17 errors, from tfjs-layers (under `strict`) and tfjs-core's unreferenced `Long`.
    expect(await consumerErrors(["ES2022", "DOM"])).toEqual([]);
  });

  it("with a Node-only lib, fails only on tfjs-core's and onnxruntime's own references to browser types", async () => {
    // tfjs-core's declarations name WebGLTexture, ImageData, ... (and pull in @webgpu/types), and so do those
    // of onnxruntime-common (through @ssb/rollout's Generator), so without the DOM lib they cannot typecheck;
    // that is upstream. What must not appear: errors in our .d.ts, or in the webgl backend / layers /
    // converter / data the @tensorflow/tfjs umbrella brought in (185 errors before).
    const errors = await consumerErrors(["ES2022"]);
    const elsewhere = errors.filter(
      (e) =>
        !/node_modules\/(@tensorflow\/tfjs-core|@webgpu\/types|onnxruntime-common)\//.test(e.file) ||
        !(e.code === 2304 || e.code === 2552),
    );
    expect(elsewhere).toEqual([]);
  });
});
