import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";
import { afterAll } from "vitest";

// The example writes its store under os.tmpdir(); pointing TMPDIR at a folder of our own lets the test
// remove what it wrote.
const tmp = mkdtempSync(path.join(os.tmpdir(), "ssb-logit-store-readme-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(path.resolve(import.meta.dirname, ".."), { env: { TMPDIR: tmp } });
