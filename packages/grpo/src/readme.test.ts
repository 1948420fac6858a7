import { cpSync } from "node:fs";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";

const packageDir = path.resolve(import.meta.dirname, "..");
// The tiny random Qwen2 checkpoint of the shared fixtures stands in for the README's `model/` (tests only).
const tinyRef = path.resolve(packageDir, "../../../shared/fixtures/qwen2-tiny-ref");
const MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

// The README's runnable examples, run against the built package as a user who installed it would, each in a
// folder holding `model/` (so a round takes a second or two).
testReadmeExamples(packageDir, {
  prepare: (folder) => {
    for (const file of MODEL_FILES) cpSync(path.join(tinyRef, file), path.join(folder, "model", file));
  },
});
