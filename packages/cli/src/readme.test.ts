import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readmeExamples, testReadmeExamples } from "@ssb/readme-examples";
import { afterAll, expect, it } from "vitest";

const packageDir = path.resolve(import.meta.dirname, "..");
const readme = path.join(packageDir, "README.md");

/** The README's `quick.yaml` block, so the example loads exactly the file the README shows. */
function quickYaml(): string {
  const block = /```yaml\n(# quick\.yaml[^\n]*\n[\s\S]*?)```/.exec(readFileSync(readme, "utf8"));
  if (!block?.[1]) throw new Error(`${readme}: no \`\`\`yaml block starting "# quick.yaml"`);
  return block[1];
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder per example holding quick.yaml, as the README tells the reader to have it. */
function prepare(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-readme-"));
  folders.push(folder);
  writeFileSync(path.join(folder, "quick.yaml"), quickYaml());
  return folder;
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(packageDir, { prepare });

// An output block more than one line of prose away from its example is not attached, and then not checked.
it("every runnable example in README.md shows its output", () => {
  const unchecked = readmeExamples(readme).filter((e) => e.expectedOutput === null);
  expect(unchecked.map((e) => `README.md:${e.line}`)).toEqual([]);
});
