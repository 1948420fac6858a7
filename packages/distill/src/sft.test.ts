import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE_DIR } from "../test/fixture.js";
import { buildSyntheticBase, loadBase } from "../test/synthetic.js";
import { crossEntropy } from "./loss-ce.js";
import { readMetrics } from "./metrics.js";
import { forward } from "./model.js";
import { runTraining } from "./run-training.js";
import { tf } from "./tf.js";
import { resolveTrainConfig } from "./train-config.js";
import { train } from "./trainer.js";
import { exampleFromPromptAndReply } from "./training-example.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("SFT", () => {
  it("full-parameter SFT (oneHot @ E embedding, tied head) lowers CE and saves a loadable HF checkpoint", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-sft-"));
    dirs.push(dir);
    const modelDir = await buildSyntheticBase(path.join(dir, "base"), 4);
    const records = [0, 1, 2, 3].map((i) => ({
      promptTokenIds: [10 + i, 20],
      responseTokenIds: [30 + i, 40 + i, 50 + i, 2],
    }));
    const data = path.join(dir, "sft.jsonl");
    writeFileSync(data, records.map((r) => JSON.stringify(r)).join("\n"));
    const config = resolveTrainConfig({
      mode: "sft",
      trainable: "full",
      epochs: 10,
      batchSize: 2,
      optimizer: { lr: 1e-2, schedule: "constant" },
      checkpointEvery: 0,
    });
    const result = await runTraining({
      modelDir,
      dataFile: data,
      outDir: path.join(dir, "out"),
      config,
      backend: "wasm",
      progress: false,
      log: () => {},
    });
    const losses = readMetrics(result.metricsFile).map((m) => m.loss);
    expect(losses.length).toBe(20);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) / 2);

    const ce = async (dirName: string) => {
      const model = await loadBase(dirName);
      return tf.tidy(() => {
        let total = 0;
        for (const r of records) {
          const ids = Int32Array.from([...r.promptTokenIds, ...r.responseTokenIds.slice(0, -1)]);
          const logits = forward(model, { inputIds: ids, batch: 1, length: ids.length }, [
            { batch: 0, start: 1, length: 4 },
          ]);
          total += tf.mean(crossEntropy(logits, Int32Array.from(r.responseTokenIds))).dataSync()[0] as number;
        }
        return total / records.length;
      });
    };
    expect(await ce(result.savedTo)).toBeLessThan((await ce(modelDir)) / 2);
  });
});

describe("examples built in code with an id outside the vocabulary", () => {
  it("train() refuses them before the first step (a target id past the vocabulary trained to loss 0)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-oov-"));
    dirs.push(dir);
    const model = await loadBase(FIXTURE_DIR);
    const examples = [exampleFromPromptAndReply("e0", [10, 20], [30, 300], null)];
    const config = resolveTrainConfig({ mode: "sft", lora: { r: 2, alpha: 2 }, checkpointEvery: 0 });
    await expect(
      train({ model, examples, config, outDir: path.join(dir, "out"), progress: false, log: () => {} }),
    ).rejects.toThrow("example e0: target token id 300 (index 1) is outside the model's vocabulary [0, 256)");
  });
});
