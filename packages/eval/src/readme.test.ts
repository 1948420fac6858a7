import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readmeExamples, testReadmeExamples } from "@ssb/readme-examples";
import { afterAll, expect, it } from "vitest";

const packageDir = path.resolve(import.meta.dirname, "..");
// The tiny random Qwen2 checkpoint of the shared fixtures stands in for the README's `model/` (tests only).
const tinyRef = path.resolve(packageDir, "../../../shared/fixtures/qwen2-tiny-ref");
const MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder per example, holding `model/` (a Hugging Face checkpoint folder) as the README says. */
function prepare(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), "ssb-eval-readme-"));
  folders.push(folder);
  for (const file of MODEL_FILES) cpSync(path.join(tinyRef, file), path.join(folder, "model", file));
  return folder;
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(packageDir, { prepare });

// An output block more than one line of prose away from its example is not attached, and then not checked.
it("every runnable example in README.md shows its output", () => {
  const unchecked = readmeExamples(path.join(packageDir, "README.md")).filter(
    (e) => e.expectedOutput === null,
  );
  expect(unchecked.map((e) => `README.md:${e.line}`)).toEqual([]);
});
