/**
 * pnpm bench: speed of a LoRA KD training step next to the backend's plain 2-D matmul peak, measured in the
 * same process. Models: the fixture-sized tiny Qwen2 and a ~25M-parameter Qwen2 (random weights).
 * Env: BACKEND (default wasm), STEPS (default 5), QUICK=1 (tiny model only).
 */

import { AdamW, globalNorm } from "../src/adamw.js";
import { selectBackend } from "../src/backend.js";
import { DataParallelPool, parallelGradients } from "../src/data-parallel.js";
import { initLora, loraConfigFrom } from "../src/lora.js";
import {
  baseTensors,
  type DecoderModel,
  disposeDecoder,
  loadDecoder,
  trainableVariables,
} from "../src/model.js";
import { qwen2Config, randomWeights } from "../src/random-weights.js";
import { createRng } from "../src/rng.js";
import { stepFlops } from "../src/step-flops.js";
import { estimateStepMemory } from "../src/step-memory.js";
import { tf } from "../src/tf.js";
import { resolveTrainConfig } from "../src/train-config.js";
import { stepGradients, stepRowWeights } from "../src/train-step.js";
import type { TrainingExample } from "../src/training-example.js";
import { installWasmKernels, restoreStockWasmKernels } from "../src/wasm-kernels.js";

const STEPS = Number(process.env.STEPS ?? 7);
let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function matmulPeak(): { gflops: number; shape: string }[] {
  const shapes: [number, number, number][] = [
    [1024, 512, 512],
    [1024, 512, 1536],
    [1024, 1536, 512],
    [1024, 64, 128],
    [256, 256, 256],
  ];
  return shapes.map(([m, k, n]) => {
    const a = tf.randomNormal([m, k]) as tf.Tensor2D;
    const b = tf.randomNormal([k, n]) as tf.Tensor2D;
    // Not tf.tidy(() => ....dataSync()): tidy walks the returned typed array element by element, which
    // costs 30x the matmul itself at these sizes.
    const run = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    run();
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
    }
    a.dispose();
    b.dispose();
    // Best of 7: on a shared machine the minimum is the closest to what the core can do.
    return { gflops: (2 * m * k * n) / (Math.min(...times) * 1e6), shape: `${m}x${k}x${n}` };
  });
}

function syntheticExamples(
  count: number,
  length: number,
  prompt: number,
  vocab: number,
  k: number,
): TrainingExample[] {
  const rng = createRng(1, "bench");
  return Array.from({ length: count }, (_, e) => {
    const reply = length - prompt + 1;
    const topkIds = new Int32Array(reply * k);
    const topkLogits = new Float32Array(reply * k);
    for (let r = 0; r < reply; r++) {
      const used = new Set<number>();
      for (let j = 0; j < k; j++) {
        let id = rng.int(vocab);
        while (used.has(id)) id = (id + 1) % vocab;
        used.add(id);
        topkIds[r * k + j] = id;
        topkLogits[r * k + j] = 5 - j * 0.3;
      }
    }
    return {
      id: `b${e}`,
      inputIds: Int32Array.from({ length }, () => rng.int(vocab)),
      firstRow: prompt - 1,
      targets: Int32Array.from({ length: reply }, () => rng.int(vocab)),
      teacher: { k, topkIds, topkLogits, logSumExp: new Float32Array(reply).fill(8) },
    };
  });
}

async function benchModel(
  name: string,
  sizes: Parameters<typeof qwen2Config>[0],
  batch: number,
  length: number,
  r: number,
  threads = 1,
) {
  const config = qwen2Config(sizes);
  const weights = randomWeights(config, 3);
  const model: DecoderModel = await loadDecoder(config, weights.read, weights.has, "lora");
  const train = resolveTrainConfig({ lora: { r, alpha: r } });
  model.lora = initLora(config, loraConfigFrom(train.lora), 0);
  const vars = trainableVariables(model);
  const optimizer = new AdamW(vars, train.optimizer);
  const prompt = Math.round(length / 8);
  const examples = syntheticExamples(batch, length, prompt, config.vocabSize, 20);
  const micro = [examples];
  const weightsRows = stepRowWeights(micro, train);
  const pool =
    threads > 1
      ? await DataParallelPool.start(threads - 1, {
          source: { kind: "random", sizes, seed: 3 },
          config: train,
          examples,
          padId: 0,
        })
      : null;
  const indices = [examples.map((_, i) => i)];
  const times: number[] = [];
  let rows = 0;
  let tokens = 0;
  for (let s = 0; s < STEPS + 1; s++) {
    const t0 = performance.now();
    const g = pool
      ? await parallelGradients(pool, model, vars, examples, indices, weightsRows, train, s, 0)
      : stepGradients(model, vars, micro, weightsRows, train, s);
    globalNorm(g.grads);
    optimizer.apply(g.grads, 1e-4);
    for (const t of g.grads) t.dispose();
    const dt = performance.now() - t0;
    if (s > 0 && process.env.VERBOSE) console.log(`  step ${s}: ${dt.toFixed(0)} ms`);
    sampleRss();
    if (s > 0) times.push(dt); // the first step compiles / warms up
    rows = g.rows;
    tokens = g.tokens;
  }
  const ms = median(times);
  // Peak bytes of live tensors during one step (tfjs' own accounting; the wasm heap is larger and never shrinks).
  await pool?.close();
  const profile = pool
    ? null
    : await tf.profile(() => {
        const g = stepGradients(model, vars, micro, weightsRows, train, STEPS + 1);
        optimizer.apply(g.grads, 1e-4);
        for (const t of g.grads) t.dispose();
      });
  const estimate = estimateStepMemory(config, { batch, length, rows, loraRank: r, trainable: "lora" });
  const flops = stepFlops(config, { batch, length, rows, loraRank: r, trainable: "lora" });
  let baseParams = 0;
  for (const t of baseTensors(model).values()) baseParams += t.size;
  const result = {
    model: name,
    threads,
    params: baseParams,
    loraParams: vars.reduce((s, v) => s + v.size, 0),
    batch,
    length,
    tokensPerStep: tokens,
    stepMs: Math.round(ms),
    tokensPerSec: Math.round(tokens / (ms / 1000)),
    gflopPerStep: +(flops / 1e9).toFixed(2),
    gflops: +(flops / (ms * 1e6)).toFixed(2),
    tensorPeakMiB: profile ? Math.round(profile.peakBytes / 2 ** 20) : null,
    estimateMiB: Math.round(estimate.totalBytes / 2 ** 20),
  };
  optimizer.dispose();
  disposeDecoder(model);
  return result;
}

async function main() {
  const info = await selectBackend((process.env.BACKEND as "wasm") ?? "wasm");
  const { loadavg } = await import("node:os");
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (other processes share these cores)`,
  );
  const before = matmulPeak();
  const tiny = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 256 };
  const m25 = { hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1536, vocab: 1000 };
  const threads = Number(process.env.THREADS ?? 2);
  const runs = [await benchModel("tiny (qwen2-tiny-ref shape)", tiny, 4, 256, 8)];
  if (threads > 1) runs.push(await benchModel("tiny (qwen2-tiny-ref shape)", tiny, 4, 256, 8, threads));
  if (!process.env.QUICK) {
    runs.push(await benchModel("qwen2-25M", m25, 4, 256, 32));
    if (threads > 1) runs.push(await benchModel("qwen2-25M", m25, 4, 256, 32, threads));
    if (info.backend === "wasm") {
      // The peer for src/wasm-kernels.ts: the same step on tfjs' own Slice/Unpack/SplitV/Identity kernels.
      restoreStockWasmKernels();
      runs.push(await benchModel("qwen2-25M (tfjs stock wasm kernels)", m25, 4, 256, 32));
      installWasmKernels();
    }
  }
  // The peak is measured before and after the models; the best of both is the reference (a shared machine
  // only ever makes a measurement slower).
  const after = matmulPeak();
  const peaks = before.map((p, i) => ({ shape: p.shape, gflops: Math.max(p.gflops, after[i]?.gflops ?? 0) }));
  const peak = Math.max(...peaks.map((p) => p.gflops));
  console.log(
    `matmul (plain 2-D, no transpose flags), best of 2 x 9: ${peaks.map((p) => `${p.shape} ${p.gflops.toFixed(1)}`).join(", ")} GFLOP/s; peak ${peak.toFixed(1)}`,
  );
  for (const r of runs) {
    console.log(
      `${r.model}, ${r.threads} thread${r.threads > 1 ? "s" : ""}: ${(r.params / 1e6).toFixed(2)}M params (+${(r.loraParams / 1e6).toFixed(2)}M LoRA), ${r.batch}x${r.length} tokens, step ${r.stepMs} ms, ${r.tokensPerSec} tokens/s, ${r.gflops} GFLOP/s = ${((100 * r.gflops) / peak).toFixed(0)}% of the 1-core matmul peak (${((100 * r.gflops) / (peak * r.threads)).toFixed(0)}% per core)${r.tensorPeakMiB === null ? "" : `, tensor peak ${r.tensorPeakMiB} MiB (estimate ${r.estimateMiB} MiB)`}`,
    );
  }
  console.log(
    `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; backend ${info.description}; ${new Date().toISOString()}`,
  );
  console.log(
    JSON.stringify({
      backend: info.backend,
      matmulPeakGflops: +peak.toFixed(2),
      runs,
      peakRssMiB: Math.round(peakRss / 2 ** 20),
    }),
  );
}

await main();
