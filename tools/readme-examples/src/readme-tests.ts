/**
 * The vitest suite a package adds for its README: every runnable example runs against the built package in
 * a fresh folder, writes nothing to stderr, exits 0, and prints exactly the output block the README shows
 * beside it; and every runnable example shows one (a block more than one line of prose away from its example
 * is not attached, and would then go unchecked).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readmeExamples } from "./readme-blocks.js";
import { type RunExampleOptions, runReadmeExample } from "./run-example.js";

export interface ReadmeTestOptions extends Omit<RunExampleOptions, "packageDir" | "cwd"> {
  /**
   * Fills the fresh, empty folder an example runs in with the files it reads (a `model/`, a
   * `problems.jsonl`…). The folders are removed after the tests.
   */
  prepare?: (folder: string, exampleLine: number) => void | Promise<void>;
}

export function testReadmeExamples(packageDir: string, options: ReadmeTestOptions = {}): void {
  const examples = readmeExamples(path.join(packageDir, "README.md"));
  const { prepare, ...runOptions } = options;
  describe(`${path.basename(packageDir)}/README.md examples`, () => {
    const root = mkdtempSync(path.join(os.tmpdir(), `ssb-readme-${path.basename(packageDir)}-`));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it("has runnable examples, each showing its output", () => {
      expect(examples.length).toBeGreaterThan(0);
      const unchecked = examples.filter((e) => e.expectedOutput === null).map((e) => `README.md:${e.line}`);
      expect(unchecked).toEqual([]);
    });

    for (const example of examples) {
      it(`README.md:${example.line} runs and prints what the README shows`, async () => {
        const cwd = path.join(root, `line-${example.line}`);
        mkdirSync(cwd);
        await prepare?.(cwd, example.line);
        const run = await runReadmeExample(example, { ...runOptions, packageDir, cwd });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(example.expectedOutput);
      });
    }
  });
}
