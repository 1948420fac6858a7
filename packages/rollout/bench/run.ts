/**
 * `pnpm bench`: tokens/s of @ssb/rollout vs transformers.js `generate` (both on onnxruntime-node, same
 * exported ONNX model, same prompts), at 1 / 8 / 32 prompts x 4 samples; per-step overhead vs a bare
 * `session.run` loop; and continuous refill vs waves on sequences of mixed lengths.
 *
 * The machine is shared, so engines run interleaved (ours, transformers.js, bare; repeated --reps times,
 * and more while a row has taken under --min-seconds, up to 15, so that rows of ~0.1 s on the tiny model are
 * not one scheduling hiccup away from another ratio) and each cell is the best (fastest) repetition; the
 * load average is printed with the results. A repetition (sample) runs each engine back to back until the
 * bare loop would have taken --sample-seconds, so that short tiny-model runs are timed over several runs.
 *
 * Flags: --models tiny,random[,random-large]  --batches 1,8,32  --samples 4  --new-tokens 32  --prompt-tokens 32,96  --reps 2  --min-seconds 3  --sample-seconds 0.5
 *        --parts throughput,overhead,refill  --skip-tjs  --ep cpu|webgpu|cuda (all three engines on that provider)
 *        --variant plain|contrib|contrib-mm (the export both engines run)
 *        --sampling top-k|temperature|top-p (what both engines sample with: top-k 50, temperature 1 alone,
 *        or top-p 0.95 alone; the bare loop always takes the argmax)
 */
import { mkdir, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { AutoModelForCausalLM, env, Tensor } from "@huggingface/transformers";
import { exportOnnx } from "@ssb/model";
import * as ort from "onnxruntime-node";
import { Generator, type PromptInput, type RefillPolicy } from "../src/index.js";
import {
  BENCH_MODEL,
  BENCH_MODEL_LARGE,
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
  },
});
const EPS = ["cpu", "webgpu", "cuda"] as const;
type BenchEp = (typeof EPS)[number];
if (!EPS.includes(values.ep as BenchEp))
  throw new Error(`--ep: one of ${EPS.join(", ")}, found "${values.ep}"`);
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
// The same sampling settings for both engines (transformers.js's default top_k is 50, so 0 turns it off).
const SAMPLINGS = {
  "top-k": { ours: { temperature: 1, topK: 50 }, tjs: { temperature: 1, top_k: 50 } },
  temperature: { ours: { temperature: 1, topK: 0 }, tjs: { temperature: 1, top_k: 0 } },
  "top-p": { ours: { temperature: 1, topK: 0, topP: 0.95 }, tjs: { temperature: 1, top_k: 0, top_p: 0.95 } },
} as const;
if (!Object.hasOwn(SAMPLINGS, values.sampling as string))
  throw new Error(`--sampling: one of ${Object.keys(SAMPLINGS).join(", ")}, found "${values.sampling}"`);
const benchSampling = SAMPLINGS[values.sampling as keyof typeof SAMPLINGS];
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

async function ours(
  gen: Generator,
  ps: number[][],
  n: number,
  maxNew: number,
  sampled = true,
): Promise<number> {
  const inputs: PromptInput[] = ps.map((tokenIds, i) => ({ id: `p${i}`, tokenIds, n }));
  let tokens = 0;
  const sampling = sampled
    ? { ...benchSampling.ours, maxNewTokens: maxNew, stopTokenIds: [] }
    : { temperature: 0, maxNewTokens: maxNew, stopTokenIds: [] };
  for await (const s of gen.generate(inputs, { maxBatch: ps.length * n, sampling }))
    tokens += s.tokenIds.length;
  return tokens;
}

/** Caches the bare loop kept on the GPU (webgpu) are freed by hand, as transformers.js does. */
function disposeDeviceTensors(out: ort.InferenceSession.OnnxValueMapType): void {
  for (const t of Object.values(out)) if (t.location === "gpu-buffer") t.dispose();
}

/**
 * The bare loop's session. On webgpu its `present` outputs stay on the GPU and go back in as the next
 * step's past (what transformers.js does there), so it shows the floor without host copies of the cache.
 */
async function bareSession(file: string): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    executionProviders: ep === "cpu" ? ["cpu"] : [ep, "cpu"],
  };
  if (ep === "webgpu") {
    const probe = await ort.InferenceSession.create(file, { graphOptimizationLevel: "disabled" });
    const present = probe.outputNames.filter((n) => n.startsWith("present."));
    await probe.release();
    options.preferredOutputLocation = Object.fromEntries(present.map((n) => [n, "gpu-buffer" as const]));
  }
  return ort.InferenceSession.create(file, options);
}

/** The floor: prefill + decode with session.run, argmax, nothing else. */
async function bareLoop(
  session: ort.InferenceSession,
  layers: number,
  kvHeads: number,
  headDim: number,
  ps: number[][],
  n: number,
  maxNew: number,
): Promise<number> {
  const rows = ps.length * n;
  const L = promptTokens;
  const ids = new BigInt64Array(rows * L);
  ps.forEach((p, i) => {
    for (let j = 0; j < n; j++) for (let t = 0; t < L; t++) ids[(i * n + j) * L + t] = BigInt(p[t] as number);
  });
  const pos = new BigInt64Array(rows * L);
  for (let r = 0; r < rows; r++) for (let t = 0; t < L; t++) pos[r * L + t] = BigInt(t);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", ids, [rows, L]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(rows * L).fill(1n), [rows, L]),
    position_ids: new ort.Tensor("int64", pos, [rows, L]),
  };
  for (let l = 0; l < layers; l++) {
    feeds[`past_key_values.${l}.key`] = new ort.Tensor("float32", new Float32Array(0), [
      rows,
      kvHeads,
      0,
      headDim,
    ]);
    feeds[`past_key_values.${l}.value`] = new ort.Tensor("float32", new Float32Array(0), [
      rows,
      kvHeads,
      0,
      headDim,
    ]);
  }
  let out = await session.run(feeds);
  let seqLen = L;
  for (let step = 1; step < maxNew; step++) {
    const logits = out.logits as ort.Tensor;
    const V = logits.dims[2] as number;
    const S = logits.dims[1] as number;
    const data = logits.data as Float32Array;
    const next = new BigInt64Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = (r * S + S - 1) * V;
      let best = 0;
      for (let v = 1; v < V; v++) if ((data[base + v] as number) > (data[base + best] as number)) best = v;
      next[r] = BigInt(best);
    }
    seqLen++;
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", next, [rows, 1]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(rows * seqLen).fill(1n), [rows, seqLen]),
      position_ids: new ort.Tensor("int64", new BigInt64Array(rows).fill(BigInt(seqLen - 1)), [rows, 1]),
    };
    for (let l = 0; l < layers; l++) {
      f[`past_key_values.${l}.key`] = out[`present.${l}.key`] as ort.Tensor;
      f[`past_key_values.${l}.value`] = out[`present.${l}.value`] as ort.Tensor;
    }
    const previous = out;
    out = await session.run(f);
    disposeDeviceTensors(previous);
  }
  disposeDeviceTensors(out);
  return rows * maxNew;
}

/** transformers.js wants <localModelPath>/<name>/{config.json, onnx/model.onnx}. */
async function transformersLayout(exportDir: string, name: string): Promise<string> {
  const root = path.join(os.tmpdir(), "ssb-rollout-bench-tjs");
  const dir = path.join(root, name);
  await mkdir(path.join(dir, "onnx"), { recursive: true });
  for (const [from, to] of [
    ["config.json", "config.json"],
    ["model.onnx", "onnx/model.onnx"],
  ] as const) {
    await symlink(path.join(exportDir, from), path.join(dir, to)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
  }
  return root;
}

interface TjsModel {
  generate(args: Record<string, unknown>): Promise<unknown>;
}

async function tjsGenerate(model: TjsModel, ps: number[][], n: number, maxNew: number): Promise<number> {
  // transformers.js has no num_return_sequences expansion for sampling: repeat each prompt n times.
  const rows = ps.length * n;
  const ids = new BigInt64Array(rows * promptTokens);
  ps.forEach((p, i) => {
    for (let j = 0; j < n; j++)
      for (let t = 0; t < promptTokens; t++) ids[(i * n + j) * promptTokens + t] = BigInt(p[t] as number);
  });
  await model.generate({
    input_ids: new Tensor("int64", ids, [rows, promptTokens]),
    attention_mask: new Tensor("int64", new BigInt64Array(rows * promptTokens).fill(1n), [
      rows,
      promptTokens,
    ]),
    max_new_tokens: maxNew,
    min_new_tokens: maxNew,
    do_sample: true,
    ...benchSampling.tjs,
  });
  return rows * maxNew;
}

const results: string[] = [];
function report(line: string): void {
  console.log(line);
  results.push(line);
}

async function benchModel(label: string, dir: string): Promise<void> {
  const gen = await Generator.load(dir, { executionProvider: ep });
  const io = gen.session.io;
  const vocab = gen.vocabSize;
  const bare = await bareSession(path.join(dir, "model.onnx"));
  let tjs: TjsModel | null = null;
  let tjsError = "";
  if (!values["skip-tjs"]) {
    try {
      env.allowRemoteModels = false;
      env.localModelPath = await transformersLayout(dir, label);
      tjs = (await AutoModelForCausalLM.from_pretrained(label, {
        dtype: "fp32",
        device: ep,
        local_files_only: true,
      })) as unknown as TjsModel;
    } catch (e) {
      tjsError = e instanceof Error ? e.message : String(e);
      report(`transformers.js could not load ${label}: ${tjsError}`);
    }
  }
  // Warm up every engine once (session init, allocator arenas).
  const warm = prompts(1, vocab, 1);
  await ours(gen, warm, 1, 4);
  await bareLoop(bare, io.kv.length, io.numKvHeads, io.headDim, warm, 1, 4);
  if (tjs) await tjsGenerate(tjs, warm, 1, 4);

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
      const bareRun = () => bareLoop(bare, io.kv.length, io.numKvHeads, io.headDim, ps, samples, newTokens);
      const inner = Math.max(1, Math.ceil(sampleSeconds / (await timeIt(bareRun))));
      const sample = async (run: () => Promise<number>): Promise<number> => {
        let tok = 0;
        const t = await timeIt(async () => {
          for (let i = 0; i < inner; i++) tok += await run();
        });
        return tok / t;
      };
      const rowStart = performance.now();
      let runs = 0;
      for (; runs < reps || (runs < MAX_REPS && performance.now() - rowStart < minRowMs); runs++) {
        bestOurs = Math.max(bestOurs, await sample(() => ours(gen, ps, samples, newTokens)));
        if (tjs) {
          const model = tjs;
          bestTjs = Math.max(bestTjs, await sample(() => tjsGenerate(model, ps, samples, newTokens)));
        }
        bestBare = Math.max(bestBare, await sample(bareRun));
      }
      const tjsCell = tjs ? bestTjs.toFixed(1) : tjsError ? "n/a" : "skipped";
      const speed = tjs ? `${(bestOurs / bestTjs).toFixed(2)}x` : "";
      report(
        `| ${b} x ${samples} | ${bestOurs.toFixed(1)} | ${tjsCell} | ${speed} | ${bestBare.toFixed(1)} | ${runs} |`,
      );
    }
  }
  promptTokens = promptLengths[0] as number;

  if (!parts.has("overhead")) {
    await gen.close();
    await bare.release();
    return;
  }
  // Per-step overhead at batch 1: the same tokens through the bare loop and through the generator. A
  // tiny-model run takes ~15 ms, too short to time on a shared machine, so each timed sample repeats its
  // engine's run back to back until the bare loop would have taken ~0.25 s.
  const one = prompts(1, vocab, 7);
  const steps = Math.max(newTokens, 64);
  const bareOnce = () => bareLoop(bare, io.kv.length, io.numKvHeads, io.headDim, one, 1, steps);
  const inner = Math.max(1, Math.ceil(0.25 / (await timeIt(bareOnce))));
  const repeated = (run: () => Promise<unknown>) => async () => {
    for (let i = 0; i < inner; i++) await run();
  };
  const times = { bare: [] as number[], greedy: [] as number[], sample: [] as number[] };
  for (let r = 0; r < Math.max(9, reps); r++) {
    times.bare.push((await timeIt(repeated(bareOnce))) / inner);
    times.greedy.push((await timeIt(repeated(() => ours(gen, one, 1, steps, false)))) / inner);
    times.sample.push((await timeIt(repeated(() => ours(gen, one, 1, steps, true)))) / inner);
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  const tBare1 = median(times.bare);
  const tGreedy1 = median(times.greedy);
  const tSample1 = median(times.sample);
  report(
    `\nbatch 1, ${steps} tokens, median of ${times.bare.length} interleaved samples of ${inner} run(s) each: bare loop ${((tBare1 / steps) * 1000).toFixed(2)} ms/token; ` +
      `@ssb/rollout greedy ${((tGreedy1 / steps) * 1000).toFixed(2)} ms/token (${(tGreedy1 / tBare1).toFixed(3)}x), ` +
      `top-k 50 sampling ${((tSample1 / steps) * 1000).toFixed(2)} ms/token (${(tSample1 / tBare1).toFixed(3)}x)`,
  );
  await gen.close();
  await bare.release();
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
  `@ssb/rollout bench, ${started.toISOString()}, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), onnxruntime-node ${ort.env.versions.node ?? "?"}, execution provider ${ep}, sampling ${values.sampling}`,
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
  } else if (m === "random" || m === "random-large") {
    const shape: RandomQwen2 = m === "random" ? BENCH_MODEL : BENCH_MODEL_LARGE;
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
    throw new Error(`--models: unknown model "${m}" (tiny, random, random-large)`);
  }
}
console.log(`\ndone in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);
