import { cpSync } from "node:fs";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";
import { tinyRefDir } from "../test/paths.js";

/** The checkpoint files a user's `model/` folder holds (the fixture's reference outputs are left out). */
const CHECKPOINT_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];

// The README's runnable examples, run against the built package as a user who installed it would, each in a
// folder holding `model/` (the tiny checkpoint) and `adapter/` (its LoRA).
testReadmeExamples(path.resolve(import.meta.dirname, ".."), {
  prepare: (folder) => {
    for (const file of CHECKPOINT_FILES)
      cpSync(path.join(tinyRefDir, file), path.join(folder, "model", file));
    cpSync(path.join(tinyRefDir, "lora"), path.join(folder, "adapter"), { recursive: true });
  },
});
