import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { exportOnnx } from "@ssb/model";
import { testReadmeExamples } from "@ssb/readme-examples";
import { afterAll } from "vitest";
import { tinyRefDir } from "../test/fixtures.js";

const exported = path.join(mkdtempSync(path.join(os.tmpdir(), "ssb-rollout-readme-")), "model");
afterAll(() => rmSync(path.dirname(exported), { recursive: true, force: true }));
let exporting: Promise<unknown> | null = null;

// The README's runnable examples, run against the built package as a user who installed it would, each in a
// folder holding `model/`: qwen2-tiny-ref exported once for the whole file.
testReadmeExamples(path.resolve(import.meta.dirname, ".."), {
  prepare: async (folder) => {
    exporting ??= exportOnnx({ modelDir: tinyRefDir, outDir: exported });
    await exporting;
    symlinkSync(exported, path.join(folder, "model"), "dir");
  },
});
