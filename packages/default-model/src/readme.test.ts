import path from "node:path";
import { readmeExamples, testReadmeExamples } from "@ssb/readme-examples";
import { expect, it } from "vitest";

const packageDir = path.resolve(import.meta.dirname, "..");

// The README's runnable examples, run against the built package as a user who installed it would. Each runs
// in its own fresh folder (the tokenizer example writes its files there).
testReadmeExamples(packageDir);

// An output block more than one line of prose away from its example is not attached, and then not checked.
it("every runnable example in README.md shows its output", () => {
  const unchecked = readmeExamples(path.join(packageDir, "README.md")).filter(
    (e) => e.expectedOutput === null,
  );
  expect(unchecked.map((e) => `README.md:${e.line}`)).toEqual([]);
});
