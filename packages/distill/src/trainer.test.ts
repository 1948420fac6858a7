import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openLogitStore } from "@ssb/logit-store";
import { loadAdapter, loadTokenizer } from "@ssb/model";
import { afterEach, describe, expect, it } from "vitest";
import { buildSyntheticKd, loadBase } from "../test/synthetic.js";
import { loraFromAdapter } from "./lora.js";
import { readMetrics } from "./metrics.js";
import { forward } from "./model.js";
import { loadPairExamples } from "./pairs-data.js";
import { runTraining } from "./run-training.js";
import { tf } from "./tf.js";
import { resolveTrainConfig } from "./train-config.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("LoRA KD on a synthetic pair set", () => {
  it("decreases the loss and reaches > 95% top-1 agreement with the teacher", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-kd-"));
    dirs.push(dir);
    const data = await buildSyntheticKd(dir, { embedScale: 4 });
    const config = resolveTrainConfig({
      promptMode: "raw",
      epochs: 60,
      batchSize: 4,
      lora: { r: 16, alpha: 16 },
      optimizer: { lr: 2e-2 },
      checkpointEvery: 0,
    });
    const result = await runTraining({
      modelDir: data.modelDir,
      dataFile: data.pairsFile,
      logitsDir: data.logitsDir,
      outDir: path.join(dir, "out"),
      config,
      backend: "wasm",
      progress: false,
      log: () => {},
    });
    // Monotone on average: the mean loss of each quarter of the run is below the previous quarter's.
    const losses = readMetrics(result.metricsFile).map((m) => m.loss);
    expect(losses.length).toBe(120);
    const quarter = losses.length / 4;
    const means = [0, 1, 2, 3].map(
      (q) => losses.slice(q * quarter, (q + 1) * quarter).reduce((a, b) => a + b, 0) / quarter,
    );
    for (let q = 1; q < 4; q++) expect(means[q]).toBeLessThan(means[q - 1] as number);

    // Agreement: the trained adapter, loaded back from its PEFT files, against the teacher's argmax.
    const student = await loadBase(data.modelDir);
    student.lora = loraFromAdapter(student.config, await loadAdapter(result.savedTo));
    const base = await loadBase(data.modelDir);
    const examples = await loadPairExamples(data.pairsFile, {
      tokenizer: await loadTokenizer(data.modelDir),
      promptMode: "raw",
      store: await openLogitStore(data.logitsDir),
    });
    const agreement = (model: typeof student): number => {
      let agree = 0;
      let total = 0;
      examples.forEach((e, i) => {
        const top1 = tf.tidy(() =>
          tf
            .argMax(
              forward(model, { inputIds: e.inputIds, batch: 1, length: e.inputIds.length }, [
                { batch: 0, start: e.firstRow, length: e.targets.length },
              ]),
              -1,
            )
            .dataSync(),
        );
        top1.forEach((id, j) => {
          total++;
          if (id === data.teacherTop1[i]?.[j]) agree++;
        });
      });
      return agree / total;
    };
    expect(agreement(base)).toBeLessThan(0.2); // the task is not solved by the base model
    expect(agreement(student)).toBeGreaterThan(0.95);
  });
});
