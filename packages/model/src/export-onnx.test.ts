/**
 * The exported decoder against the float64 reference of ../shared/fixtures/qwen2-tiny-ref, run in
 * onnxruntime-node: full passes (single, left-padded batch, bf16 weights, merged LoRA), incremental
 * decoding through the KV cache, and greedy generation.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import type { ModelConfig } from "./config.js";
import type { DecoderVariant } from "./export-decoder.js";
import { exportOnnx } from "./export-onnx.js";
import { decodeOnnxModel } from "./onnx-proto.js";
import { openSafetensors } from "./safetensors.js";
import { writeSafetensors } from "./safetensors-writer.js";

interface Reference {
  inputs: {
    single: { input_ids: number[]; position_ids: number[]; attention_mask: number[] };
    batch: {
      input_ids: number[][];
      attention_mask: number[][];
      position_ids: number[][];
      valid_positions: number[][];
    };
  };
  greedy: { prompt: number[]; steps: number; generated_ids: number[] };
}

let workDir: string;
let reference: Reference;
const refTensors = new Map<string, { shape: number[]; data: Float32Array }>();

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-test-"));
  reference = JSON.parse(await readFile(path.join(tinyRefDir, "reference.json"), "utf8")) as Reference;
  const file = await openSafetensors(path.join(tinyRefDir, "reference.safetensors"));
  for (const name of file.names()) {
    const t = await file.readFloat32(name);
    refTensors.set(name, { shape: t.shape, data: t.data });
  }
  await file.close();
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function ref(name: string): Float32Array {
  const t = refTensors.get(name);
  if (!t) throw new Error(`reference tensor ${name} missing`);
  return t.data;
}

const i64 = (rows: number[][]): ort.Tensor =>
  new ort.Tensor("int64", BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [
    rows.length,
    rows[0]?.length ?? 0,
  ]);

/** A decoder session plus the feeds for one step. */
class Decoder {
  constructor(
    readonly session: ort.InferenceSession,
    readonly config: ModelConfig,
  ) {}

  emptyPast(batch: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    const { numKvHeads: kv, headDim: d } = this.config;
    for (let i = 0; i < this.config.numLayers; i++) {
      feeds[`past_key_values.${i}.key`] = new ort.Tensor("float32", new Float32Array(0), [batch, kv, 0, d]);
      feeds[`past_key_values.${i}.value`] = new ort.Tensor("float32", new Float32Array(0), [batch, kv, 0, d]);
    }
    return feeds;
  }

  async step(
    inputIds: number[][],
    attentionMask: number[][],
    positionIds: number[][],
    past: Record<string, ort.Tensor>,
  ): Promise<{ logits: ort.Tensor; past: Record<string, ort.Tensor> }> {
    const out = await this.session.run({
      input_ids: i64(inputIds),
      attention_mask: i64(attentionMask),
      position_ids: i64(positionIds),
      ...past,
    });
    const next: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.config.numLayers; i++) {
      next[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
      next[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
    }
    return { logits: out.logits as ort.Tensor, past: next };
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

async function exportAndOpen(
  name: string,
  options: {
    variant?: DecoderVariant;
    weightsFile?: string;
    adapterDir?: string;
    externalData?: boolean;
    groupQueryAttention?: boolean;
  },
): Promise<Decoder> {
  const outDir = path.join(workDir, name);
  const result = await exportOnnx({ modelDir: tinyRefDir, outDir, ...options });
  const session = await ort.InferenceSession.create(result.modelFile, {
    graphOptimizationLevel: "all",
    intraOpNumThreads: 1,
  });
  return new Decoder(session, result.config);
}

const V = 256;

for (const variant of ["plain", "contrib"] as const) {
  describe(`exported decoder (${variant})`, () => {
    let base: Decoder;
    beforeAll(async () => {
      base = await exportAndOpen(`base-${variant}`, { variant });
    });

    if (variant === "contrib") {
      it("without GroupQueryAttention (MatMul attention + fused kernels) reproduces batch_logits", async () => {
        const alt = await exportAndOpen("contrib-matmul", { variant, groupQueryAttention: false });
        const b = reference.inputs.batch;
        const { logits } = await alt.step(b.input_ids, b.attention_mask, b.position_ids, alt.emptyPast(3));
        const got = logits.data as Float32Array;
        const want = ref("batch_logits");
        let worst = 0;
        for (const [row, positions] of b.valid_positions.entries()) {
          for (const p of positions) {
            const at = (row * 10 + p) * V;
            worst = Math.max(worst, maxAbsDiff(got.subarray(at, at + V), want.subarray(at, at + V)));
          }
        }
        expect(worst).toBeLessThan(1e-4);
      });
    }

    it("reproduces single_logits", async () => {
      const s = reference.inputs.single;
      const { logits } = await base.step(
        [s.input_ids],
        [s.attention_mask],
        [s.position_ids],
        base.emptyPast(1),
      );
      expect(logits.dims).toEqual([1, 10, V]);
      expect(maxAbsDiff(logits.data as Float32Array, ref("single_logits"))).toBeLessThan(1e-4);
    });

    it("reproduces batch_logits at valid positions (left padding)", async () => {
      const b = reference.inputs.batch;
      const { logits } = await base.step(b.input_ids, b.attention_mask, b.position_ids, base.emptyPast(3));
      const got = logits.data as Float32Array;
      const want = ref("batch_logits");
      const seq = b.input_ids[0]!.length;
      let worst = 0;
      for (const [row, positions] of b.valid_positions.entries()) {
        for (const p of positions) {
          const at = (row * seq + p) * V;
          worst = Math.max(worst, maxAbsDiff(got.subarray(at, at + V), want.subarray(at, at + V)));
        }
      }
      expect(worst).toBeLessThan(1e-4);
      expect(Array.from(got).every(Number.isFinite)).toBe(true);
    });

    it("incremental decoding through the KV cache equals the full pass", async () => {
      const s = reference.inputs.single;
      const prefill = 4;
      let step = await base.step(
        [s.input_ids.slice(0, prefill)],
        [s.attention_mask.slice(0, prefill)],
        [s.position_ids.slice(0, prefill)],
        base.emptyPast(1),
      );
      const full = ref("single_logits");
      let worst = maxAbsDiff(step.logits.data as Float32Array, full.subarray(0, prefill * V));
      for (let t = prefill; t < s.input_ids.length; t++) {
        step = await base.step([[s.input_ids[t]!]], [s.attention_mask.slice(0, t + 1)], [[t]], step.past);
        expect(step.past["past_key_values.0.key"]!.dims).toEqual([1, 2, t + 1, 16]);
        worst = Math.max(
          worst,
          maxAbsDiff(step.logits.data as Float32Array, full.subarray(t * V, (t + 1) * V)),
        );
      }
      expect(worst).toBeLessThan(1e-4);
    });

    it("chunked prefill (4 tokens, then 3 with past, then 1 by 1) equals the full pass", async () => {
      const s = reference.inputs.single;
      const full = ref("single_logits");
      let past = base.emptyPast(1);
      let worst = 0;
      for (const [from, to] of [
        [0, 4],
        [4, 7],
        [7, 8],
        [8, 9],
        [9, 10],
      ] as const) {
        const step = await base.step(
          [s.input_ids.slice(from, to)],
          [s.attention_mask.slice(0, to)],
          [s.position_ids.slice(from, to)],
          past,
        );
        past = step.past;
        worst = Math.max(
          worst,
          maxAbsDiff(step.logits.data as Float32Array, full.subarray(from * V, to * V)),
        );
      }
      expect(worst).toBeLessThan(1e-4);
    });

    it("incremental decoding of a left-padded batch matches the padded full pass", async () => {
      const b = reference.inputs.batch;
      const prefill = 7;
      let step = await base.step(
        b.input_ids.map((r) => r.slice(0, prefill)),
        b.attention_mask.map((r) => r.slice(0, prefill)),
        b.position_ids.map((r) => r.slice(0, prefill)),
        base.emptyPast(3),
      );
      const want = ref("batch_logits");
      const seq = b.input_ids[0]!.length;
      let worst = 0;
      for (let t = prefill; t < seq; t++) {
        step = await base.step(
          b.input_ids.map((r) => [r[t]!]),
          b.attention_mask.map((r) => r.slice(0, t + 1)),
          b.position_ids.map((r) => [r[t]!]),
          step.past,
        );
        const got = step.logits.data as Float32Array;
        for (let row = 0; row < 3; row++) {
          const at = (row * seq + t) * V;
          worst = Math.max(
            worst,
            maxAbsDiff(got.subarray(row * V, (row + 1) * V), want.subarray(at, at + V)),
          );
        }
      }
      expect(worst).toBeLessThan(1e-4);
    });

    it("greedy generation through the KV cache gives greedy.generated_ids and greedy_step_logits", async () => {
      const { prompt, steps, generated_ids: expected } = reference.greedy;
      const stepLogits = ref("greedy_step_logits");
      const ids = [...prompt];
      let step = await base.step([ids], [ids.map(() => 1)], [ids.map((_, i) => i)], base.emptyPast(1));
      let last = (step.logits.data as Float32Array).subarray((ids.length - 1) * V);
      const generated: number[] = [];
      let worst = 0;
      for (let s = 0; s < steps; s++) {
        worst = Math.max(worst, maxAbsDiff(last, stepLogits.subarray(s * V, (s + 1) * V)));
        let best = 0;
        for (let v = 1; v < V; v++) if ((last[v] as number) > (last[best] as number)) best = v;
        generated.push(best);
        ids.push(best);
        if (s === steps - 1) break;
        step = await base.step([[best]], [ids.map(() => 1)], [[ids.length - 1]], step.past);
        last = step.logits.data as Float32Array;
      }
      expect(generated).toEqual(expected);
      expect(worst).toBeLessThan(1e-4);
    });

    it("reproduces bf16_single_logits from model.bf16.safetensors", async () => {
      const bf16 = await exportAndOpen(`bf16-${variant}`, { variant, weightsFile: "model.bf16.safetensors" });
      const s = reference.inputs.single;
      const { logits } = await bf16.step(
        [s.input_ids],
        [s.attention_mask],
        [s.position_ids],
        bf16.emptyPast(1),
      );
      expect(maxAbsDiff(logits.data as Float32Array, ref("bf16_single_logits"))).toBeLessThan(1e-4);
    });

    it("with the LoRA adapter merged reproduces lora_single_logits", async () => {
      const lora = await exportAndOpen(`lora-${variant}`, {
        variant,
        adapterDir: path.join(tinyRefDir, "lora"),
      });
      const s = reference.inputs.single;
      const { logits } = await lora.step(
        [s.input_ids],
        [s.attention_mask],
        [s.position_ids],
        lora.emptyPast(1),
      );
      expect(maxAbsDiff(logits.data as Float32Array, ref("lora_single_logits"))).toBeLessThan(1e-4);
    });
  });
}

describe("sharded checkpoint", () => {
  it("exports from model.safetensors.index.json + two shards with the same logits", async () => {
    const dir = path.join(workDir, "sharded-src");
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(tinyRefDir, "config.json"), path.join(dir, "config.json"));
    const source = await openSafetensors(path.join(tinyRefDir, "model.safetensors"));
    const names = source.names();
    const weightMap: Record<string, string> = {};
    for (const [shard, part] of [
      ["model-00001-of-00002.safetensors", names.slice(0, names.length / 2)],
      ["model-00002-of-00002.safetensors", names.slice(names.length / 2)],
    ] as const) {
      const tensors: [string, { dtype: "F32"; shape: number[]; data: Uint8Array }][] = [];
      for (const name of part) {
        const raw = await source.read(name);
        tensors.push([name, { dtype: "F32", shape: raw.shape, data: raw.data }]);
        weightMap[name] = shard;
      }
      await writeSafetensors(path.join(dir, shard), tensors, { format: "pt" });
    }
    await source.close();
    await writeFile(
      path.join(dir, "model.safetensors.index.json"),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const result = await exportOnnx({ modelDir: dir, outDir: path.join(workDir, "sharded-out") });
    const decoder = new Decoder(await ort.InferenceSession.create(result.modelFile), result.config);
    const s = reference.inputs.single;
    const { logits } = await decoder.step(
      [s.input_ids],
      [s.attention_mask],
      [s.position_ids],
      decoder.emptyPast(1),
    );
    expect(maxAbsDiff(logits.data as Float32Array, ref("single_logits"))).toBeLessThan(1e-4);
  });
});

describe("external data", () => {
  it("writes weights to model.onnx.data with aligned offsets and the same logits", async () => {
    const outDir = path.join(workDir, "external");
    const result = await exportOnnx({ modelDir: tinyRefDir, outDir, externalData: true });
    expect(result.dataFile).toBe(path.join(outDir, "model.onnx.data"));
    expect(result.modelBytes).toBeLessThan(20_000);
    const proto = decodeOnnxModel(await readFile(result.modelFile));
    const embed = proto.graph.initializer.find((t) => t.name === "model.embed_tokens.weight")!;
    expect(embed.dataLocation).toBe(1);
    const entries = Object.fromEntries((embed.externalData ?? []).map((e) => [e.key, e.value]));
    expect(entries.location).toBe("model.onnx.data");
    expect(Number(entries.offset) % 4096).toBe(0);
    expect(Number(entries.length)).toBe(256 * 64 * 4);
    expect(result.copied).toContain("config.json");
    const genai = JSON.parse(await readFile(path.join(outDir, "genai_config.json"), "utf8"));
    expect(genai.model).toMatchObject({
      type: "qwen2",
      eos_token_id: 2,
      vocab_size: 256,
      context_length: 512,
    });
    expect(genai.model.decoder).toMatchObject({
      filename: "model.onnx",
      head_size: 16,
      num_key_value_heads: 2,
      num_hidden_layers: 2,
      inputs: { past_key_names: "past_key_values.%d.key" },
      outputs: { present_value_names: "present.%d.value" },
    });

    const session = await ort.InferenceSession.create(result.modelFile);
    const decoder = new Decoder(session, result.config);
    const s = reference.inputs.single;
    const { logits } = await decoder.step(
      [s.input_ids],
      [s.attention_mask],
      [s.position_ids],
      decoder.emptyPast(1),
    );
    expect(maxAbsDiff(logits.data as Float32Array, ref("single_logits"))).toBeLessThan(1e-4);
  });

  it("declares the decoder-with-past contract", async () => {
    const outDir = path.join(workDir, "contract");
    const result = await exportOnnx({ modelDir: tinyRefDir, outDir });
    const session = await ort.InferenceSession.create(result.modelFile);
    expect(session.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "position_ids",
      "past_key_values.0.key",
      "past_key_values.0.value",
      "past_key_values.1.key",
      "past_key_values.1.value",
    ]);
    expect(session.outputNames).toEqual([
      "logits",
      "present.0.key",
      "present.0.value",
      "present.1.key",
      "present.1.value",
      "new_key_values.0.key",
      "new_key_values.0.value",
      "new_key_values.1.key",
      "new_key_values.1.value",
    ]);
    const proto = decodeOnnxModel(await readFile(result.modelFile));
    expect(proto.opsetImport).toEqual([{ domain: "", version: 17 }]);
    const shape = (name: string) =>
      proto.graph.input
        .concat(proto.graph.output)
        .find((v) => v.name === name)!
        .type.tensorType.shape.dim.map((d) => ("dimValue" in d ? d.dimValue : d.dimParam));
    expect(shape("input_ids")).toEqual(["batch_size", "sequence_length"]);
    expect(shape("attention_mask")).toEqual(["batch_size", "total_sequence_length"]);
    expect(shape("past_key_values.0.key")).toEqual(["batch_size", 2, "past_sequence_length", 16]);
    expect(shape("present.1.value")).toEqual(["batch_size", 2, "total_sequence_length", 16]);
    expect(shape("logits")).toEqual(["batch_size", "sequence_length", 256]);
  });
});
