import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readmeExamples, testReadmeExamples } from "@ssb/readme-examples";
import { afterAll, expect, it } from "vitest";

const packageDir = path.resolve(import.meta.dirname, "..");
const readme = readFileSync(path.join(packageDir, "README.md"), "utf8");

/**
 * The input file the README shows under "`NAME`:" in a ```jsonl block. Taken from the README itself, so the
 * example runs on exactly the data a reader copies.
 */
function readmeFile(name: string): string {
  const escaped = name.replace(/\./g, "\\.");
  const match = new RegExp(`\`${escaped}\`:\\n\\n\`\`\`jsonl\\n([\\s\\S]*?)\`\`\`\\n`).exec(readme);
  if (match === null) throw new Error(`README.md: no \`${name}\`: block followed by a jsonl fence`);
  return match[1] as string;
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

// The README's runnable examples, run against the built package as a user who installed it would, in a
// folder holding the README's problems.jsonl and rollouts.jsonl.
testReadmeExamples(packageDir, {
  prepare: () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "ssb-curation-readme-"));
    folders.push(folder);
    for (const name of ["problems.jsonl", "rollouts.jsonl"])
      writeFileSync(path.join(folder, name), readmeFile(name));
    return folder;
  },
});

// An output block more than one line of prose away from its example is not attached, and then not checked.
it("every runnable example in README.md shows its output", () => {
  const unchecked = readmeExamples(path.join(packageDir, "README.md")).filter(
    (e) => e.expectedOutput === null,
  );
  expect(unchecked.map((e) => `README.md:${e.line}`)).toEqual([]);
});
