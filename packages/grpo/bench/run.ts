/**
 * What on-policy sampling costs: the ONNX refresh (merge LoRA -> export -> reopen the ORT session) against
 * the phases of a GRPO round, on the embedded default model (or MODEL=dir) with fresh problems.
 *
 *   pnpm --filter @ssb/grpo bench            (env: MODEL, ROUNDS=3, REFRESHES=5, G=8, PROBLEMS=8)
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultModelDir } from "@ssb/default-model";
import { initLora, loadDecoder, loraConfigFrom, selectBackend } from "@ssb/distill";
import { loadCheckpoint } from "@ssb/model";
import { freshDefaultProblems, PolicySync, resolveGrpoConfig, runGrpo } from "../src/index.js";
import { tf } from "../src/tf.js";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const modelDir = process.env.MODEL ?? defaultModelDir();
const rounds = Number(process.env.ROUNDS ?? 3);
const refreshes = Number(process.env.REFRESHES ?? 5);
const work = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-bench-"));
try {
  await selectBackend("auto");
  const checkpoint = await loadCheckpoint(modelDir);
  const model = await loadDecoder(
    checkpoint.config,
    (n) => checkpoint.weights.readFloat32(n),
    (n) => checkpoint.weights.has(n),
    "lora",
  );
  await checkpoint.close();
  const loraConfig = loraConfigFrom({ r: 16, alpha: 32 });
  model.lora = initLora(model.config, loraConfig, 1);
  // A non-zero B, so the merge really changes every adapted weight.
  for (const layer of model.lora.values()) layer.bT.assign(tf.randomNormal(layer.bT.shape, 0, 0.01));
  const sync = await PolicySync.open(modelDir, path.join(work, "policy"), model.config);
  const exportMs: number[] = [];
  const loadMs: number[] = [];
  for (let i = 0; i < refreshes; i++) {
    const t = await sync.refresh({ layers: model.lora, config: loraConfig });
    exportMs.push(t.exportMs);
    loadMs.push(t.loadMs);
  }
  await sync.close();

  const config = resolveGrpoConfig({
    steps: rounds,
    groupSize: Number(process.env.G ?? 8),
    problemsPerStep: Number(process.env.PROBLEMS ?? 8),
    checkpointEvery: 1000,
  });
  const result = await runGrpo({
    modelDir,
    problems: freshDefaultProblems({ count: 200, seed: 5, modelDir }),
    outDir: path.join(work, "run"),
    config,
    progress: false,
  });
  const m = result.metrics;
  const pick = (f: (x: (typeof m)[number]) => number): string => median(m.map(f)).toFixed(2);
  const parameters = model.config.hiddenSize;
  console.log(
    `model ${modelDir} (hidden ${parameters}, ${model.config.numLayers} layers, vocab ${model.config.vocabSize})`,
  );
  console.log(
    `refresh (median of ${refreshes}): export ${median(exportMs).toFixed(0)} ms + session load ${median(loadMs).toFixed(0)} ms`,
  );
  console.log(`round (median of ${rounds}, G=${config.groupSize} x ${config.problemsPerStep} problems):`);
  console.log(
    `  sync ${pick((x) => x.syncSec)} s | sample ${pick((x) => x.sampleSec)} s | train ${pick((x) => x.trainSec)} s | total ${pick((x) => x.stepSec)} s`,
  );
  console.log(
    `  tokens generated ${pick((x) => x.tokensGenerated)} | trained ${pick((x) => x.tokensTrained)} | reward ${pick((x) => x.rewardMean)}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
