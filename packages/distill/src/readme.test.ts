import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readmeExamples, testReadmeExamples } from "@ssb/readme-examples";
import { afterAll, expect, it } from "vitest";
import { buildSyntheticKd } from "../test/synthetic.js";

const packageDir = path.resolve(import.meta.dirname, "..");
const work = mkdtempSync(path.join(tmpdir(), "distill-readme-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The folder an example runs in: `model/` (the tiny fixture, its embedding scaled so the teacher's sharp
 * distributions are learnable), with `pairs.jsonl` and `logits/` of a small synthetic KD task (8 pairs of 8
 * reply tokens) for the KD example, so its 3 epochs take seconds. The SFT example writes its own data.
 */
async function kdFolder(line: number): Promise<string> {
  const dir = path.join(work, `line-${line}`);
  await buildSyntheticKd(dir, { examples: 8, replyLength: 8 });
  renameSync(path.join(dir, "base"), path.join(dir, "model"));
  return dir;
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(packageDir, { prepare: kdFolder });

// An output block more than one line of prose away from its example is not attached, and then not checked.
it("every runnable example in README.md shows its output", () => {
  const unchecked = readmeExamples(path.join(packageDir, "README.md")).filter(
    (e) => e.expectedOutput === null,
  );
  expect(unchecked.map((e) => `README.md:${e.line}`)).toEqual([]);
});
