import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";
import { afterAll } from "vitest";
import { tinyRefDir } from "../test/paths.js";

/** The checkpoint files a user's `model/` folder holds (the fixture's reference outputs are left out). */
const CHECKPOINT_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

const root = mkdtempSync(path.join(os.tmpdir(), "ssb-model-readme-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder per example: `model/` (the tiny checkpoint) and `adapter/` (its LoRA), copied. */
function prepare(line: number): string {
  const dir = path.join(root, `line-${line}`);
  for (const file of CHECKPOINT_FILES) cpSync(path.join(tinyRefDir, file), path.join(dir, "model", file));
  cpSync(path.join(tinyRefDir, "lora"), path.join(dir, "adapter"), { recursive: true });
  return dir;
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(path.resolve(import.meta.dirname, ".."), { prepare });
