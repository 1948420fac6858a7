/**
 * `pnpm --filter @ssb/model bench`: export a randomly initialised Qwen2.5-0.5B-shaped checkpoint to
 * ONNX (external data) and time it in onnxruntime-node on this machine, plain vs contrib-op graph.
 *
 * Steps: write a random bf16 checkpoint (like the published one) to os.tmpdir(); for each variant,
 * export it (read + upcast to f32 + write model.onnx / model.onnx.data), create an ORT session, time
 * a prefill of --prefill tokens and --decode single-token steps through the KV cache. Everything in
 * the temp folder is removed at the end, also on failure.
 *
 * Options: --layers N (default 24; fewer for a quick smoke run), --prefill N (128), --decode N (32),
 * --threads N (ORT intra-op threads; default: all cores), --variants plain,contrib, --rounds N (5),
 * --external-data always|auto|never (default always; "never" exercises the inline path, < 2 GiB only).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import {
  type DecoderVariant,
  expectedWeightShapes,
  exportOnnx,
  loadModelConfig,
  type ModelConfig,
  type TensorToWrite,
  writeSafetensors,
} from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    layers: { type: "string", default: "24" },
    prefill: { type: "string", default: "128" },
    decode: { type: "string", default: "32" },
    threads: { type: "string", default: String(os.availableParallelism()) },
    variants: { type: "string", default: "plain,contrib" },
    rounds: { type: "string", default: "5" },
    "external-data": { type: "string", default: "always" },
  },
});
const layers = Number(args.layers);
const prefillTokens = Number(args.prefill);
const decodeSteps = Number(args.decode);
const threads = Number(args.threads);
const variants = args.variants.split(",") as DecoderVariant[];

/** Qwen2.5-0.5B's config.json (real dimensions), with random weights. */
const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: layers,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  vocab_size: 151936,
  max_position_embeddings: 32768,
  rope_theta: 1000000.0,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  hidden_act: "silu",
  bos_token_id: 151643,
  eos_token_id: 151645,
  torch_dtype: "bfloat16",
};

/** xorshift32 uniform noise with the std of N(0, 0.02^2), as bf16 bits (truncated); norms are 1. */
function randomBf16(count: number, seed: number, isNorm: boolean): Uint16Array {
  const out = new Uint16Array(count);
  if (isNorm) return out.fill(0x3f80); // 1.0
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const halfWidth = 0.02 * Math.sqrt(3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    f32[0] = (s / 4294967296) * 2 * halfWidth - halfWidth;
    out[i] = (u32[0] as number) >>> 16;
  }
  return out;
}

async function writeRandomCheckpoint(dir: string): Promise<ModelConfig> {
  await writeFile(path.join(dir, "config.json"), JSON.stringify(QWEN25_05B, null, 2));
  const config = await loadModelConfig(dir);
  const tensors = new Map<string, TensorToWrite>();
  let seed = 1;
  for (const [name, shape] of expectedWeightShapes(config)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const mySeed = seed++ * 2654435761;
    tensors.set(name, {
      dtype: "BF16",
      shape,
      data: () => randomBf16(count, mySeed, name.endsWith("norm.weight")),
    });
  }
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt" });
  return config;
}

function feeds(ids: number[], start: number, past: Record<string, ort.Tensor>) {
  const total = start + ids.length;
  return {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
    position_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map((_, i) => BigInt(start + i))), [
      1,
      ids.length,
    ]),
    ...past,
  };
}

function emptyPast(config: ModelConfig): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ["key", "value"]) {
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [
        1,
        config.numKvHeads,
        0,
        config.headDim,
      ]);
    }
  }
  return past;
}

function presentAsPast(config: ModelConfig, out: ort.InferenceSession.ReturnType) {
  const past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.numLayers; i++) {
    past[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
    past[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
  }
  return past;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Loaded {
  variant: DecoderVariant;
  session: ort.InferenceSession;
  exportSeconds: number;
  dataGB: number;
  sessionSeconds: number;
  prefill: number[];
  decode: number[];
}

async function exportAndLoad(dir: string, variant: DecoderVariant): Promise<Loaded> {
  const outDir = path.join(dir, `onnx-${variant}`);
  const flag = args["external-data"];
  const externalData = flag === "auto" ? "auto" : flag !== "never";
  const exported = await exportOnnx({ modelDir: dir, outDir, variant, externalData });
  console.error(
    `[${variant}] export ${exported.seconds.toFixed(1)} s, model.onnx ${(exported.modelBytes / 1e6).toFixed(2)} MB, data ${(exported.dataBytes / 1e9).toFixed(2)} GB`,
  );
  const t = performance.now();
  const session = await ort.InferenceSession.create(exported.modelFile, {
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const sessionSeconds = (performance.now() - t) / 1000;
  console.error(`[${variant}] session created in ${sessionSeconds.toFixed(1)} s`);
  return {
    variant,
    session,
    exportSeconds: exported.seconds,
    dataGB: exported.dataBytes / 1e9,
    sessionSeconds,
    prefill: [],
    decode: [],
  };
}

/** One round for one variant: a prefill, then `steps` cached decode steps (times appended). */
async function round(config: ModelConfig, v: Loaded, steps: number): Promise<void> {
  const prompt = Array.from({ length: prefillTokens }, (_, i) => (i * 7919) % config.vocabSize);
  let t = performance.now();
  let out = await v.session.run(feeds(prompt, 0, emptyPast(config)));
  v.prefill.push(performance.now() - t);
  let past = presentAsPast(config, out);
  for (let step = 0; step < steps; step++) {
    t = performance.now();
    out = await v.session.run(feeds([(step * 31) % config.vocabSize], prefillTokens + step, past));
    v.decode.push(performance.now() - t);
    past = presentAsPast(config, out);
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-bench-"));
  const loaded: Loaded[] = [];
  try {
    const t = performance.now();
    const config = await writeRandomCheckpoint(dir);
    console.error(
      `random bf16 checkpoint (${layers} layers) written in ${((performance.now() - t) / 1000).toFixed(1)} s to ${dir}`,
    );
    for (const variant of variants) loaded.push(await exportAndLoad(dir, variant));
    // Warm-up, then rounds that alternate the variants, so a change in machine load during the
    // run hits both alike (this machine is shared); medians over all rounds.
    for (const v of loaded) await round(config, v, 2);
    for (const v of loaded) {
      v.prefill = [];
      v.decode = [];
    }
    const rounds = Number(args.rounds);
    for (let r = 0; r < rounds; r++) {
      for (const v of loaded) await round(config, v, Math.ceil(decodeSteps / rounds));
    }
    console.log(
      `\nQwen2.5-0.5B-shaped (${layers} layers, random weights), f32, batch 1, ${threads} ORT threads, onnxruntime-node ${ort.env.versions.common}, ${os.cpus()[0]?.model ?? "cpu"} x ${os.availableParallelism()}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}, peak rss ${(process.memoryUsage().rss / 1e9).toFixed(1)} GB\n`,
    );
    console.log(
      `| variant | export (s) | external data (GB) | session create (s) | prefill ${prefillTokens} tok (ms, min / median of ${rounds}) | decode step at ${prefillTokens}+ (ms, min / median of ${loaded[0]?.decode.length}) |`,
    );
    console.log("|---|---|---|---|---|---|");
    // min: what the machine can do when nobody else is running; median: what a run typically saw.
    const both = (xs: number[], digits: number) =>
      `${Math.min(...xs).toFixed(digits)} / ${median(xs).toFixed(digits)}`;
    for (const v of loaded) {
      console.log(
        `| ${v.variant} | ${v.exportSeconds.toFixed(1)} | ${v.dataGB.toFixed(2)} | ${v.sessionSeconds.toFixed(1)} | ${both(v.prefill, 0)} | ${both(v.decode, 1)} |`,
      );
    }
  } finally {
    for (const v of loaded) await v.session.release();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
