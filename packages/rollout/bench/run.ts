/**
 * `pnpm bench`: tokens/s of @ssb/rollout vs transformers.js `generate` (both on onnxruntime-node, same
 * exported ONNX model, same prompts), at 1 / 8 / 32 prompts x 4 samples; per-step overhead vs a bare
 * `session.run` loop; and continuous refill vs waves on sequences of mixed lengths.
 *
 * Each engine runs in a process of its own (engine-worker.ts; `--in-process` runs them all in this one, as
 * the bench did before: engines in one process slowed each other). The machine is shared, so engines run
 * interleaved, one at a time (ours, transformers.js, bare; repeated --reps times,
 * and more while a row has taken under --min-seconds, up to 15, so that rows of ~0.1 s on the tiny model are
 * not one scheduling hiccup away from another ratio) and each cell is the best (fastest) repetition; the
 * load average is printed with the results. A repetition (sample) runs each engine back to back until the
 * bare loop would have taken --sample-seconds, so that short tiny-model runs are timed over several runs.
 *
 * Flags: --models tiny,random[,random-large,random-vocab]  --batches 1,8,32  --samples 4  --new-tokens 32  --prompt-tokens 32,96  --reps 2  --min-seconds 3  --sample-seconds 0.5
 *        --parts throughput,overhead,refill  --skip-tjs  --ep cpu|webgpu|cuda (all three engines on that provider)
 *        --variant plain|contrib|contrib-mm (the export both engines run)
 *        --kv host|device (where this package keeps the KV cache; default: its own choice, device on webgpu)
 *        --sampling top-k|temperature|top-p (what both engines sample with: top-k 50, temperature 1 alone,
 *        or top-p 0.95 alone; the bare loop always takes the argmax)  --in-process
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { exportOnnx } from "@ssb/model";
import * as ort from "onnxruntime-node";
import { defaultKvOnDevice, Generator, type PromptInput, type RefillPolicy } from "../src/index.js";
import { startEngine } from "./engine-host.js";
import {
  BENCH_EPS,
  type BenchEp,
  type Engine,
  type EngineKind,
  type EngineSpec,
  SAMPLINGS,
  type SampleRequest,
  type SamplingName,
} from "./engines.js";
import {
  BENCH_MODEL,
  BENCH_MODEL_LARGE,
  BENCH_MODEL_VOCAB,
  parameterCount,
  type RandomQwen2,
  randomPrompts,
  randomQwen2Export,
} from "./random-model.js";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "tiny,random" },
    batches: { type: "string", default: "1,8,32" },
    samples: { type: "string", default: "4" },
    "new-tokens": { type: "string", default: "32" },
    "prompt-tokens": { type: "string", default: "32,96" },
    reps: { type: "string", default: "2" },
    "min-seconds": { type: "string", default: "3" },
    "sample-seconds": { type: "string", default: "0.5" },
    "skip-tjs": { type: "boolean", default: false },
    parts: { type: "string", default: "throughput,overhead,refill" },
    ep: { type: "string", default: "cpu" },
    variant: { type: "string", default: "plain" },
    sampling: { type: "string", default: "top-k" },
    "in-process": { type: "boolean", default: false },
    kv: { type: "string" },
  },
});
if (values.kv !== undefined && values.kv !== "host" && values.kv !== "device")
  throw new Error(`--kv: host or device, found "${values.kv}"`);
const kv = values.kv as "host" | "device" | undefined;
if (!BENCH_EPS.includes(values.ep as BenchEp))
  throw new Error(`--ep: one of ${BENCH_EPS.join(", ")}, found "${values.ep}"`);
const ep = values.ep as BenchEp;
// Which export both engines run: plain ONNX ops (the default export), contrib (onnxruntime's fused
// kernels with GroupQueryAttention) or contrib-mm (the fused kernels, MatMul attention).
const VARIANTS = ["plain", "contrib", "contrib-mm"] as const;
type BenchVariant = (typeof VARIANTS)[number];
if (!VARIANTS.includes(values.variant as BenchVariant))
  throw new Error(`--variant: one of ${VARIANTS.join(", ")}, found "${values.variant}"`);
const variant = values.variant as BenchVariant;
const exportOptions = (): { variant: "plain" | "contrib"; groupQueryAttention?: boolean } =>
  variant === "plain"
    ? { variant: "plain" }
    : { variant: "contrib", groupQueryAttention: variant === "contrib" };
const variantSuffix = variant === "plain" ? "" : `-${variant}`;
if (!Object.hasOwn(SAMPLINGS, values.sampling as string))
  throw new Error(`--sampling: one of ${Object.keys(SAMPLINGS).join(", ")}, found "${values.sampling}"`);
const samplingName = values.sampling as SamplingName;
const isolated = !values["in-process"];
const batches = (values.batches as string).split(",").map(Number);
const samples = Number(values.samples);
const newTokens = Number(values["new-tokens"]);
const promptLengths = (values["prompt-tokens"] as string).split(",").map(Number);
const reps = Number(values.reps);
const minRowMs = 1000 * Number(values["min-seconds"]);
const sampleSeconds = Number(values["sample-seconds"]);
if (!(sampleSeconds > 0))
  throw new Error(`--sample-seconds: a number > 0, found "${values["sample-seconds"]}"`);
const MAX_REPS = 15;
const parts = new Set((values.parts as string).split(","));
let promptTokens = promptLengths[0] as number;

const prompts = (count: number, vocab: number, seed: number): number[][] =>
  randomPrompts(count, promptTokens, vocab, seed);

async function timeIt<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

const results: string[] = [];
function report(line: string): void {
  console.log(line);
  results.push(line);
}

async function benchModel(label: string, dir: string): Promise<void> {
  const spec = (kind: EngineKind): EngineSpec => ({
    kind,
    label,
    dir,
    ep,
    sampling: samplingName,
    ...(kv ? { kv } : {}),
  });
  const gen = await startEngine(spec("ours"), isolated);
  const bare = await startEngine(spec("bare"), isolated);
  const vocab = gen.vocab;
  let tjs: Engine | null = null;
  let tjsError = "";
  if (!values["skip-tjs"]) {
    try {
      tjs = await startEngine(spec("tjs"), isolated);
    } catch (e) {
      tjsError = e instanceof Error ? e.message : String(e);
      report(`transformers.js could not load ${label}: ${tjsError}`);
    }
  }
  /** tok/s of one sample: `runs` runs back to back. */
  const rate = async (engine: Engine, request: SampleRequest): Promise<number> => {
    const { tokens, seconds } = await engine.sample(request);
    return tokens / seconds;
  };

  for (const len of parts.has("throughput") ? promptLengths : []) {
    promptTokens = len;
    report(
      `\n### ${label}: ${promptTokens}-token prompts, ${newTokens} new tokens per sequence, ${samples} samples per prompt (load average ${os.loadavg()[0]?.toFixed(1)})\n`,
    );
    report(
      "| prompts x samples | @ssb/rollout tok/s | transformers.js tok/s | speed-up | bare session.run loop tok/s | runs |",
    );
    report("|---|---|---|---|---|---|");
    for (const b of batches) {
      const ps = prompts(b, vocab, 100 + b);
      let bestOurs = 0;
      let bestTjs = 0;
      let bestBare = 0;
      // A sample repeats each engine's run back to back until the bare loop would have taken ~--sample-seconds
      // (tiny-model runs of ~0.1 s are otherwise timed right after another engine's garbage and caches).
      const request = { ps, n: samples, maxNew: newTokens, sampled: true, runs: 1 };
      const once = await bare.sample(request);
      const runsPerSample = Math.max(1, Math.ceil(sampleSeconds / once.seconds));
      const sampleRequest = { ...request, runs: runsPerSample };
      const rowStart = performance.now();
      let runs = 0;
      for (; runs < reps || (runs < MAX_REPS && performance.now() - rowStart < minRowMs); runs++) {
        bestOurs = Math.max(bestOurs, await rate(gen, sampleRequest));
        if (tjs) bestTjs = Math.max(bestTjs, await rate(tjs, sampleRequest));
        bestBare = Math.max(bestBare, await rate(bare, sampleRequest));
      }
      const tjsCell = tjs ? bestTjs.toFixed(1) : tjsError ? "n/a" : "skipped";
      const speed = tjs ? `${(bestOurs / bestTjs).toFixed(2)}x` : "";
      report(
        `| ${b} x ${samples} | ${bestOurs.toFixed(1)} | ${tjsCell} | ${speed} | ${bestBare.toFixed(1)} | ${runs} |`,
      );
    }
  }
  promptTokens = promptLengths[0] as number;
  await tjs?.close();

  if (parts.has("overhead")) {
    // Per-step overhead at batch 1: the same tokens through the bare loop and through the generator. A
    // tiny-model run takes ~15 ms, too short to time on a shared machine, so each timed sample repeats its
    // engine's run back to back until the bare loop would have taken ~0.25 s.
    const steps = Math.max(newTokens, 64);
    const one = { ps: prompts(1, vocab, 7), n: 1, maxNew: steps, runs: 1 };
    const inner = Math.max(1, Math.ceil(0.25 / (await bare.sample({ ...one, sampled: false })).seconds));
    const seconds = async (engine: Engine, sampled: boolean): Promise<number> =>
      (await engine.sample({ ...one, sampled, runs: inner })).seconds / inner;
    const times = { bare: [] as number[], greedy: [] as number[], sample: [] as number[] };
    for (let r = 0; r < Math.max(9, reps); r++) {
      times.bare.push(await seconds(bare, false));
      times.greedy.push(await seconds(gen, false));
      times.sample.push(await seconds(gen, true));
    }
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
    const tBare1 = median(times.bare);
    const tGreedy1 = median(times.greedy);
    const tSample1 = median(times.sample);
    report(
      `\nbatch 1, ${steps} tokens, median of ${times.bare.length} interleaved samples of ${inner} run(s) each: bare loop ${((tBare1 / steps) * 1000).toFixed(2)} ms/token; ` +
        `@ssb/rollout greedy ${((tGreedy1 / steps) * 1000).toFixed(2)} ms/token (${(tGreedy1 / tBare1).toFixed(3)}x), ` +
        `${samplingName} sampling ${((tSample1 / steps) * 1000).toFixed(2)} ms/token (${(tSample1 / tBare1).toFixed(3)}x)`,
    );
  }
  await gen.close();
  await bare.close();
}

/** Continuous refill vs waves on replies of mixed lengths (8..4*new-tokens), 32 prompts x 4 samples, batch 32. */
async function benchRefill(dir: string, longTail: boolean): Promise<void> {
  const gen = await Generator.load(dir, { executionProvider: ep });
  const ps = prompts(32, gen.vocabSize, 5);
  const inputs: PromptInput[] = ps.map((tokenIds, i) => ({
    id: `p${i}`,
    tokenIds,
    n: samples,
    // Uniform lengths 8..71, or the same with every 8th prompt's replies 5x as long (a truncation tail).
    sampling: { maxNewTokens: longTail && i % 8 === 0 ? newTokens * 5 : 8 + ((i * 37) % (newTokens * 2)) },
  }));
  const shape = longTail ? `8..71 tokens, every 8th prompt ${newTokens * 5}` : "8..71 tokens";
  report(
    `\n| refill policy (32 prompts x 4 samples, batch 32, replies of ${shape}) | tok/s | seconds |\n|---|---|---|`,
  );
  const policies: RefillPolicy[] = ["eager", 4, 8, "half", "waves"];
  const best = new Map<string, number>();
  let tokens = 0;
  for (let r = 0; r < reps; r++) {
    for (const refill of policies) {
      tokens = 0;
      const t = await timeIt(async () => {
        for await (const s of gen.generate(inputs, {
          maxBatch: 32,
          refill,
          sampling: { temperature: 1, topK: 50, stopTokenIds: [] },
        })) {
          tokens += s.tokenIds.length;
        }
      });
      best.set(String(refill), Math.min(best.get(String(refill)) ?? Number.POSITIVE_INFINITY, t));
    }
  }
  for (const refill of policies) {
    const t = best.get(String(refill)) as number;
    const label =
      typeof refill === "number"
        ? `${refill} free slots`
        : refill === "eager"
          ? "eager (1 free slot)"
          : refill === "half"
            ? "half (16 free slots; the default)"
            : "waves (batch drained)";
    report(`| ${label} | ${(tokens / t).toFixed(1)} | ${t.toFixed(2)} |`);
  }
  await gen.close();
}

const started = new Date();
console.log(
  `@ssb/rollout bench, ${started.toISOString()}, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), onnxruntime-node ${ort.env.versions.node ?? "?"}, execution provider ${ep}, this package's KV cache ${(kv ? kv === "device" : defaultKvOnDevice(ep)) ? "on the device" : "in host memory"}, sampling ${values.sampling}`,
);
for (const m of (values.models as string).split(",")) {
  if (m === "tiny") {
    const dir = path.join(os.tmpdir(), `ssb-rollout-bench-tiny${variantSuffix}`);
    await exportOnnx({
      modelDir: path.resolve(import.meta.dirname, "../../../../shared/fixtures/qwen2-tiny-ref"),
      outDir: dir,
      ...exportOptions(),
    });
    await benchModel("qwen2-tiny-ref", dir);
  } else if (m === "random" || m === "random-large" || m === "random-vocab") {
    const shapes: Record<string, RandomQwen2> = {
      random: BENCH_MODEL,
      "random-large": BENCH_MODEL_LARGE,
      "random-vocab": BENCH_MODEL_VOCAB,
    };
    const shape = shapes[m] as RandomQwen2;
    const dir = await randomQwen2Export(shape, exportOptions());
    report(
      `\nrandom Qwen2: hidden ${shape.hiddenSize}, ${shape.numLayers} layers, ${shape.numHeads} heads / ${shape.numKvHeads} KV heads, vocab ${shape.vocabSize}: ${(parameterCount(shape) / 1e6).toFixed(1)}M parameters`,
    );
    await benchModel(`random-qwen2-${shape.hiddenSize}x${shape.numLayers}`, dir);
    if (parts.has("refill")) {
      await benchRefill(dir, false);
      await benchRefill(dir, true);
    }
  } else {
    throw new Error(`--models: unknown model "${m}" (tiny, random, random-large, random-vocab)`);
  }
}
console.log(`\ndone in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);
