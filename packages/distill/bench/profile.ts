/**
 * Where a LoRA KD step's time goes, per tfjs kernel (wasm backend, one thread):
 *   pnpm --filter @ssb/distill exec tsx bench/profile.ts
 * Env: MODEL=tiny|25m (default 25m), STOCK=1 (tfjs' own wasm Slice/Unpack/SplitV/Identity kernels instead of
 * ours, see src/wasm-kernels.ts). Prints kernels by total time with their share of the step. A custom-gradient
 * op (the frozen projections' `forward`) is listed with its inner kernels counted again under their own names.
 */

import { selectBackend } from "../src/backend.js";
import { initLora, loraConfigFrom } from "../src/lora.js";
import { loadDecoder, trainableVariables } from "../src/model.js";
import { qwen2Config, randomWeights } from "../src/random-weights.js";
import { createRng } from "../src/rng.js";
import { tf } from "../src/tf.js";
import { resolveTrainConfig } from "../src/train-config.js";
import { stepGradients, stepRowWeights } from "../src/train-step.js";
import type { TrainingExample } from "../src/training-example.js";
import { restoreStockWasmKernels } from "../src/wasm-kernels.js";

await selectBackend("wasm");
if (process.env.STOCK === "1") restoreStockWasmKernels();
const sizes =
  process.env.MODEL === "tiny"
    ? { hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 256 }
    : { hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1536, vocab: 1000 };
const config = qwen2Config(sizes);
const weights = randomWeights(config, 3);
const model = await loadDecoder(config, weights.read, weights.has, "lora");
const train = resolveTrainConfig({ lora: { r: 32, alpha: 32 } });
model.lora = initLora(config, loraConfigFrom(train.lora), 0);
const vars = trainableVariables(model);
const rng = createRng(1, "profile");
const length = 256;
const prompt = 32;
const k = 20;
const examples: TrainingExample[] = Array.from({ length: 4 }, (_, e) => {
  const reply = length - prompt + 1;
  const topkIds = new Int32Array(reply * k);
  for (let r = 0; r < reply; r++)
    for (let j = 0; j < k; j++) topkIds[r * k + j] = (r * 7 + j * 13) % sizes.vocab;
  return {
    id: `p${e}`,
    inputIds: Int32Array.from({ length }, () => rng.int(sizes.vocab)),
    firstRow: prompt - 1,
    targets: Int32Array.from({ length: reply }, () => rng.int(sizes.vocab)),
    teacher: {
      k,
      topkIds,
      topkLogits: Float32Array.from({ length: reply * k }, (_, i) => 5 - (i % k) * 0.3),
      logSumExp: new Float32Array(reply).fill(8),
    },
  };
});
const micro = [examples];
const rowsW = stepRowWeights(micro, train);
const run = () => {
  const g = stepGradients(model, vars, micro, rowsW, train, 0);
  for (const t of g.grads) t.dispose();
};
run();
const t0 = performance.now();
run();
const wall = performance.now() - t0;
const info = await tf.profile(run);
const byKey = new Map<string, { ms: number; count: number }>();
let total = 0;
for (const kernel of info.kernels) {
  const ms = Number(await kernel.kernelTimeMs);
  total += ms;
  const key = `${kernel.name} ${JSON.stringify(kernel.inputShapes)}`;
  const e = byKey.get(key) ?? { ms: 0, count: 0 };
  e.ms += ms;
  e.count += 1;
  byKey.set(key, e);
}
const byName = new Map<string, number>();
for (const [key, e] of byKey) {
  const name = key.split(" ")[0] as string;
  byName.set(name, (byName.get(name) ?? 0) + e.ms);
}
console.log(
  `step wall ${wall.toFixed(0)} ms; kernels ${info.kernels.length}, summed kernel time ${total.toFixed(0)} ms`,
);
console.log("by kernel:");
for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(
    `  ${name.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%`,
  );
console.log("by kernel and input shapes:");
for (const [key, e] of [...byKey].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.TOP ?? 40)))
  console.log(`  ${e.ms.toFixed(0).padStart(6)} ms ${String(e.count).padStart(4)}x  ${key}`);
