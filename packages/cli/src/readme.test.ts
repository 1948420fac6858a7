import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";

const packageDir = path.resolve(import.meta.dirname, "..");
const readme = path.join(packageDir, "README.md");

/** The README's `quick.yaml` block, so the example loads exactly the file the README shows. */
function quickYaml(): string {
  const block = /```yaml\n(# quick\.yaml[^\n]*\n[\s\S]*?)```/.exec(readFileSync(readme, "utf8"));
  if (!block?.[1]) throw new Error(`${readme}: no \`\`\`yaml block starting "# quick.yaml"`);
  return block[1];
}

// The README's runnable examples, run against the built package as a user who installed it would, each in a
// folder holding quick.yaml, as the README tells the reader to have it.
testReadmeExamples(packageDir, {
  prepare: (folder) => writeFileSync(path.join(folder, "quick.yaml"), quickYaml()),
});
