/**
 * The CommonJS build, as a `require` user gets it: @ssb/rollout, imported lazily, and @ssb/model must be the
 * same copies the user requires. Left as import() in the CJS output they loaded the packages' ESM builds, so
 * an error thrown by rollout or model was not an instance of the class the user required (tsup.config.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(path.join(tmpdir(), "ssb-eval-cjs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the CommonJS build", () => {
  it("loads @ssb/model and @ssb/rollout as the copies a require() user gets: their errors compare", () => {
    writeFileSync(path.join(dir, "model.onnx"), "not an onnx model\n");
    const script = `
      const { openModelGenerator } = require("./dist/index.cjs");
      const { ModelFileError } = require("@ssb/model");
      openModelGenerator({ model: ${JSON.stringify(dir)} }).then(
        () => console.log("opened"),
        (error) => console.log(error.name, error instanceof ModelFileError),
      );`;
    const run = spawnSync(process.execPath, ["-e", script], { cwd: packageDir, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("ModelFileError true");
  });
});
