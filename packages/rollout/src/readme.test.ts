import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { exportOnnx } from "@ssb/model";
import { testReadmeExamples } from "@ssb/readme-examples";
import { afterAll } from "vitest";
import { tinyRefDir } from "../test/fixtures.js";

const root = mkdtempSync(path.join(os.tmpdir(), "ssb-rollout-readme-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const exported = path.join(root, "model");
let exporting: Promise<unknown> | null = null;

/** A fresh folder per example holding `model/`: qwen2-tiny-ref exported once for the whole file. */
async function prepare(line: number): Promise<string> {
  exporting ??= exportOnnx({ modelDir: tinyRefDir, outDir: exported });
  await exporting;
  const dir = path.join(root, `line-${line}`);
  mkdirSync(dir);
  symlinkSync(exported, path.join(dir, "model"), "dir");
  return dir;
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(path.resolve(import.meta.dirname, ".."), { prepare });
