/**
 * The three engines `pnpm bench` compares, each loadable on its own, so that the bench can run each in a
 * process of its own (engine-worker.ts) or all in its own process (`--in-process`): this package's
 * `Generator`, transformers.js `generate`, and a bare `session.run` loop (argmax, nothing else).
 */
import { mkdir, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AutoModelForCausalLM, env, Tensor } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { Generator, type PromptInput } from "../src/index.js";

export const BENCH_EPS = ["cpu", "webgpu", "cuda"] as const;
export type BenchEp = (typeof BENCH_EPS)[number];

// The same sampling settings for both engines (transformers.js's default top_k is 50, so 0 turns it off).
export const SAMPLINGS = {
  "top-k": { ours: { temperature: 1, topK: 50 }, tjs: { temperature: 1, top_k: 50 } },
  temperature: { ours: { temperature: 1, topK: 0 }, tjs: { temperature: 1, top_k: 0 } },
  "top-p": { ours: { temperature: 1, topK: 0, topP: 0.95 }, tjs: { temperature: 1, top_k: 0, top_p: 0.95 } },
} as const;

export type SamplingName = keyof typeof SAMPLINGS;
export type EngineKind = "ours" | "tjs" | "bare";

/** What an engine process loads: one engine, on one model folder (an @ssb/model export). */
export interface EngineSpec {
  kind: EngineKind;
  /** The model's name in reports, and transformers.js's folder name for it. */
  label: string;
  dir: string;
  ep: BenchEp;
  sampling: SamplingName;
  /** Where this package keeps the KV cache (Generator's kvOnDevice); default its own choice. */
  kv?: "host" | "device";
}

/** One timed request: `runs` generations back to back of `ps` x `n`, `maxNew` tokens each. */
export interface SampleRequest {
  ps: number[][];
  n: number;
  maxNew: number;
  /** false: greedy (this package; the others always do what they do). */
  sampled: boolean;
  runs: number;
}

export interface SampleResult {
  tokens: number;
  seconds: number;
}

export interface Engine {
  /** The model's vocabulary size (for making prompts). */
  vocab: number;
  sample(request: SampleRequest): Promise<SampleResult>;
  close(): Promise<void>;
}

async function timed(runs: number, once: () => Promise<number>): Promise<SampleResult> {
  const t0 = performance.now();
  let tokens = 0;
  for (let i = 0; i < runs; i++) tokens += await once();
  return { tokens, seconds: (performance.now() - t0) / 1000 };
}

/** Prompts for warming an engine up: 8 of 32 tokens. */
const WARM_PROMPTS = Array.from({ length: 8 }, (_, i) =>
  Array.from({ length: 32 }, (_, t) => 3 + ((i * 31 + t * 7) % 200)),
);

/**
 * Run an engine for at least a second (and twice): session init, allocator arenas, and the JIT, which kept
 * speeding this package's tiny-model runs up for a few seconds (50k to 64k tok/s over its first 50 runs).
 */
async function warmUp(run: (ps: number[][], n: number, maxNew: number) => Promise<number>): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - t0 < 1000; i++) await run(WARM_PROMPTS, 4, 16);
}

/** Load one engine in this process and warm it up. */
export async function loadEngine(spec: EngineSpec): Promise<Engine> {
  const gen = await Generator.load(spec.dir, {
    executionProvider: spec.ep,
    ...(spec.kv ? { kvOnDevice: spec.kv === "device" } : {}),
  });
  const vocab = gen.vocabSize;
  if (spec.kind === "ours") {
    await warmUp((ps, n, maxNew) => ours(gen, spec.sampling, ps, n, maxNew));
    return {
      vocab,
      sample: (r) => timed(r.runs, () => ours(gen, spec.sampling, r.ps, r.n, r.maxNew, r.sampled)),
      close: () => gen.close(),
    };
  }
  const io = gen.session.io;
  await gen.close(); // only its reading of the model's KV shapes was needed
  if (spec.kind === "bare") {
    const session = await bareSession(path.join(spec.dir, "model.onnx"), spec.ep);
    const run = (ps: number[][], n: number, maxNew: number) =>
      bareLoop(session, io.kv.length, io.numKvHeads, io.headDim, ps, n, maxNew);
    await warmUp(run);
    return {
      vocab,
      sample: (r) => timed(r.runs, () => run(r.ps, r.n, r.maxNew)),
      close: () => session.release(),
    };
  }
  env.allowRemoteModels = false;
  env.localModelPath = await transformersLayout(spec.dir, spec.label);
  const model = (await AutoModelForCausalLM.from_pretrained(spec.label, {
    dtype: "fp32",
    device: spec.ep,
    local_files_only: true,
  })) as unknown as TjsModel;
  await warmUp((ps, n, maxNew) => tjsGenerate(model, spec.sampling, ps, n, maxNew));
  return {
    vocab,
    sample: (r) => timed(r.runs, () => tjsGenerate(model, spec.sampling, r.ps, r.n, r.maxNew)),
    close: async () => {},
  };
}

async function ours(
  gen: Generator,
  sampling: SamplingName,
  ps: number[][],
  n: number,
  maxNew: number,
  sampled = true,
): Promise<number> {
  const inputs: PromptInput[] = ps.map((tokenIds, i) => ({ id: `p${i}`, tokenIds, n }));
  let tokens = 0;
  const settings = sampled
    ? { ...SAMPLINGS[sampling].ours, maxNewTokens: maxNew, stopTokenIds: [] }
    : { temperature: 0, maxNewTokens: maxNew, stopTokenIds: [] };
  for await (const s of gen.generate(inputs, { maxBatch: ps.length * n, sampling: settings }))
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
async function bareSession(file: string, ep: BenchEp): Promise<ort.InferenceSession> {
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
  const L = (ps[0] as number[]).length;
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

async function tjsGenerate(
  model: TjsModel,
  sampling: SamplingName,
  ps: number[][],
  n: number,
  maxNew: number,
): Promise<number> {
  const promptTokens = (ps[0] as number[]).length;
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
    ...SAMPLINGS[sampling].tjs,
  });
  return rows * maxNew;
}
