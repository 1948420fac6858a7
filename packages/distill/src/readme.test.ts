import { renameSync } from "node:fs";
import path from "node:path";
import { testReadmeExamples } from "@ssb/readme-examples";
import { buildSyntheticKd } from "../test/synthetic.js";

/**
 * The folder an example runs in: `model/` (the tiny fixture, its embedding scaled so the teacher's sharp
 * distributions are learnable), with `pairs.jsonl` and `logits/` of a small synthetic KD task (8 pairs of 8
 * reply tokens) for the KD example, so its 3 epochs take seconds. The SFT example writes its own data.
 */
async function kdFolder(folder: string): Promise<void> {
  await buildSyntheticKd(folder, { examples: 8, replyLength: 8 });
  renameSync(path.join(folder, "base"), path.join(folder, "model"));
}

// The README's runnable examples, run against the built package as a user who installed it would.
testReadmeExamples(path.resolve(import.meta.dirname, ".."), { prepare: kdFolder });
