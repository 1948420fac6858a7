import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";

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

// The README's runnable examples, run against the built package as a user who installed it would, in a
// folder holding the README's problems.jsonl and rollouts.jsonl.
testReadmeExamples(packageDir, {
  prepare: (folder) => {
    for (const name of ["problems.jsonl", "rollouts.jsonl"])
      writeFileSync(path.join(folder, name), readmeFile(name));
  },
});
