/**
 * The vitest suite a package adds for its README: every runnable example runs against the built package,
 * writes nothing to stderr, exits 0, and prints exactly the output block the README shows beside it.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readmeExamples } from "./readme-blocks.js";
import { type RunExampleOptions, runReadmeExample } from "./run-example.js";

export interface ReadmeTestOptions extends Omit<RunExampleOptions, "packageDir" | "cwd"> {
  /** Makes the folder an example runs in (the files it reads); default: an empty one. */
  prepare?: (exampleLine: number) => Promise<string> | string;
}

export function testReadmeExamples(packageDir: string, options: ReadmeTestOptions = {}): void {
  const readme = path.join(packageDir, "README.md");
  const examples = readmeExamples(readme);
  describe(`${path.basename(packageDir)}/README.md examples`, () => {
    it("has at least one runnable example", () => {
      expect(examples.length).toBeGreaterThan(0);
    });
    for (const example of examples) {
      it(`README.md:${example.line} runs and prints what the README shows`, async () => {
        const cwd = options.prepare ? await options.prepare(example.line) : undefined;
        const run = await runReadmeExample(example, { ...options, packageDir, ...(cwd ? { cwd } : {}) });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        if (example.expectedOutput !== null) expect(run.stdout).toBe(example.expectedOutput);
      });
    }
  });
}
