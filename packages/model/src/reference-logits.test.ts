import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { readAllWeights, referenceForward, type Weights } from "../test/reference-forward.js";
import { loadAdapter, mergeAdapter } from "./adapter.js";
import { loadCheckpoint } from "./checkpoint.js";
import { loadModelConfig, type ModelConfig } from "./config.js";
import { openSafetensors } from "./safetensors.js";

// End to end on this package's side: config + weights (f32, bf16, merged LoRA) as read here,
// pushed through a float64 forward, reproduce the fixture's independent reference logits.
interface Inputs {
  single: { input_ids: number[]; position_ids: number[]; attention_mask: number[] };
  batch: {
    input_ids: number[][];
    position_ids: number[][];
    attention_mask: number[][];
    valid_positions: number[][];
  };
}

let config: ModelConfig;
let inputs: Inputs;
let reference: Map<string, Float32Array>;

async function loadWeights(file?: string, lora = false): Promise<Weights> {
  const checkpoint = await loadCheckpoint(tinyRefDir, file ? { file } : {});
  const source = lora
    ? mergeAdapter(checkpoint.weights, await loadAdapter(path.join(tinyRefDir, "lora")))
    : checkpoint.weights;
  const weights = await readAllWeights(source);
  await checkpoint.close();
  return weights;
}

function maxAbsDiff(a: Float64Array, b: Float32Array, offset = 0): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[offset + i] as number)));
  return worst;
}

beforeAll(async () => {
  config = await loadModelConfig(tinyRefDir);
  inputs = (JSON.parse(await readFile(path.join(tinyRefDir, "reference.json"), "utf8")) as { inputs: Inputs })
    .inputs;
  const file = await openSafetensors(path.join(tinyRefDir, "reference.safetensors"));
  reference = new Map();
  for (const name of ["single_logits", "bf16_single_logits", "lora_single_logits", "batch_logits"]) {
    reference.set(name, (await file.readFloat32(name)).data);
  }
  await file.close();
});

describe("reference logits from weights read by this package", () => {
  const single = (weights: Weights): Float64Array =>
    referenceForward(
      config,
      weights,
      inputs.single.input_ids,
      inputs.single.position_ids,
      inputs.single.attention_mask,
    );

  it("f32 weights give single_logits", async () => {
    expect(
      maxAbsDiff(single(await loadWeights()), reference.get("single_logits") as Float32Array),
    ).toBeLessThan(1e-6);
  });

  it("bf16 weights give bf16_single_logits", async () => {
    const logits = single(await loadWeights("model.bf16.safetensors"));
    expect(maxAbsDiff(logits, reference.get("bf16_single_logits") as Float32Array)).toBeLessThan(1e-6);
    // and differ from the f32 logits by the documented ~2.3e-3
    expect(maxAbsDiff(logits, reference.get("single_logits") as Float32Array)).toBeGreaterThan(1e-3);
  });

  it("merged LoRA weights give lora_single_logits within 1e-5", async () => {
    const logits = single(await loadWeights(undefined, true));
    expect(maxAbsDiff(logits, reference.get("lora_single_logits") as Float32Array)).toBeLessThan(1e-5);
    expect(maxAbsDiff(logits, reference.get("single_logits") as Float32Array)).toBeGreaterThan(0.1);
  });

  it("left-padded batch rows give batch_logits at valid positions", async () => {
    const weights = await loadWeights();
    const v = config.vocabSize;
    const all = reference.get("batch_logits") as Float32Array;
    for (let row = 0; row < 3; row++) {
      const logits = referenceForward(
        config,
        weights,
        inputs.batch.input_ids[row] as number[],
        inputs.batch.position_ids[row] as number[],
        inputs.batch.attention_mask[row] as number[],
      );
      const seq = (inputs.batch.input_ids[row] as number[]).length;
      for (const position of inputs.batch.valid_positions[row] as number[]) {
        const got = logits.subarray(position * v, (position + 1) * v);
        expect(maxAbsDiff(got, all, (row * seq + position) * v)).toBeLessThan(1e-6);
      }
    }
  });
});
