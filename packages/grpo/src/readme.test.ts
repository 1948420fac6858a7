import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readmeExamples, testReadmeExamples } from "@ssb/readme-examples";
import { afterAll, expect, it } from "vitest";

const packageDir = path.resolve(import.meta.dirname, "..");
// The tiny Qwen2 fixture (random weights, byte-level vocabulary of 256): tests only, never the README.
const tinyRef = path.resolve(packageDir, "../..", "../shared/fixtures/qwen2-tiny-ref");
const work = mkdtempSync(path.join(tmpdir(), "grpo-readme-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The folder an example runs in, with the fixture as `model/`, so a round takes a second or two. */
function modelFolder(line: number): string {
  const dir = path.join(work, `line-${line}`);
  for (const file of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
    cpSync(path.join(tinyRef, file), path.join(dir, "model", file));
  return dir;
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(packageDir, { prepare: modelFolder });

// An output block more than one line of prose away from its example is not attached, and then not checked.
it("every runnable example in README.md shows its output", () => {
  const unchecked = readmeExamples(path.join(packageDir, "README.md")).filter(
    (e) => e.expectedOutput === null,
  );
  expect(unchecked.map((e) => `README.md:${e.line}`)).toEqual([]);
});
