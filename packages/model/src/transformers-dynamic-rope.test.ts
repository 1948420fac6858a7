/**
 * Dynamic NTK rope past the trained context, against transformers itself: python/hf_dynamic_rope.py saves a
 * shrunk Llama with `rope_parameters` {"rope_type": "dynamic", "factor": 2} and max_position_embeddings 16,
 * and records its logits for a forward pass over each prompt and for greedy generate(do_sample=False), where
 * transformers recomputes the base at every step past 16 positions while cached keys keep their rotation.
 * The export (plain and contrib) is run the way generate runs: the prompt whole, then one token per pass
 * with the cache fed back. Every logit must be within 1e-4 of transformers', and the greedy ids equal.
 * Needs a python that imports torch and transformers (SSB_PYTHON names one); without one these tests are
 * skipped and their names say why.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModelConfig, type ModelConfig } from "./config.js";
import { exportOnnx } from "./export-onnx.js";

const SCRIPT = path.join(import.meta.dirname, "..", "python", "hf_dynamic_rope.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";
const STEPS = 12;

function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, transformers"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch and transformers: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing
  ? ` (skipped: ${missing}; set SSB_PYTHON to a python with torch and transformers)`
  : "";

interface Reference {
  transformers: string;
  prompts: number[][];
  results: { forward: number[][]; ids: number[]; logits: number[][] }[];
}

const ids = (row: number[]) => new ort.Tensor("int64", BigInt64Array.from(row.map(BigInt)), [1, row.length]);

function maxDiff(got: Float32Array, want: number[]): number {
  let worst = 0;
  want.forEach((w, i) => {
    worst = Math.max(worst, Math.abs((got[i] as number) - w));
  });
  return worst;
}

/** Greedy decoding as generate does it: the prompt in one pass, then one token per pass from the cache. */
async function generate(
  session: ort.InferenceSession,
  config: ModelConfig,
  prompt: number[],
): Promise<{ forward: Float32Array; ids: number[]; steps: Float32Array[] }> {
  const V = config.vocabSize;
  let feed: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ["key", "value"])
      feed[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [
        1,
        config.numKvHeads,
        0,
        config.headDim,
      ]);
  }
  let input = prompt;
  let forward = new Float32Array(0);
  const generated: number[] = [];
  const steps: Float32Array[] = [];
  for (let step = 0; step < STEPS; step++) {
    const past = prompt.length + generated.length - input.length;
    const out = await session.run({
      ...feed,
      input_ids: ids(input),
      attention_mask: ids(new Array<number>(past + input.length).fill(1)),
      position_ids: ids(input.map((_, i) => past + i)),
    });
    const logits = out.logits!.data as Float32Array;
    if (step === 0) forward = logits.slice();
    const last = logits.slice((input.length - 1) * V, input.length * V);
    steps.push(last);
    const next = last.indexOf(Math.max(...last));
    generated.push(next);
    input = [next];
    feed = {};
    for (let i = 0; i < config.numLayers; i++) {
      for (const kind of ["key", "value"])
        feed[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`] as ort.Tensor;
    }
  }
  return { forward, ids: generated, steps };
}

describe.skipIf(missing !== undefined)(
  `dynamic NTK rope past the context against transformers${skipNote}`,
  () => {
    let dir: string;
    let reference: Reference;

    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "ssb-model-dynamic-rope-"));
      const r = spawnSync(PYTHON, [SCRIPT, dir, String(STEPS)], { encoding: "utf8", maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
      reference = JSON.parse(r.stdout) as Reference;
    }, 60_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const variant of ["plain", "contrib"] as const) {
      it(`${variant}: forward and generate's step logits within 1e-4, greedy ids equal`, async () => {
        const checkpoint = path.join(dir, "checkpoint");
        const config = await loadModelConfig(checkpoint);
        const { modelFile } = await exportOnnx({
          modelDir: checkpoint,
          outDir: path.join(dir, variant),
          variant,
        });
        const session = await ort.InferenceSession.create(modelFile);
        let worst = 0;
        for (const [p, prompt] of reference.prompts.entries()) {
          const want = reference.results[p] as Reference["results"][number];
          const got = await generate(session, config, prompt);
          worst = Math.max(worst, maxDiff(got.forward, want.forward.flat()));
          got.steps.forEach((row, s) => {
            worst = Math.max(worst, maxDiff(row, want.logits[s] as number[]));
          });
          expect({ prompt: p, ids: got.ids }).toEqual({ prompt: p, ids: want.ids });
        }
        await session.release();
        expect(worst).toBeLessThan(1e-4);
        console.log(`${variant}: within ${worst.toExponential(2)} of transformers ${reference.transformers}`);
      });
    }
  },
);
