/**
 * Qwen3 (dense) in the tfjs student without python: a random Qwen3 checkpoint shaped like Qwen3-0.6B (head_dim
 * * heads != hidden, GQA, tied head, q/k norms with random gains) written as safetensors and read back through
 * loadCheckpoint, whose forward must equal a float64 forward (test/float64-forward.ts); and how its q/k norm
 * weights train: in full-parameter mode, without weight decay, and never with LoRA. The comparison against
 * transformers' Qwen3ForCausalLM itself is transformers-configs.test.ts (needs SSB_PYTHON).
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float64Forward } from "../test/float64-forward.js";
import {
  qwen3TinyConfig as config,
  randomQwen3Weights,
  writeQwen3Checkpoint,
} from "../test/qwen3-checkpoint.js";
import { selectBackend } from "./backend.js";
import { initLora, loraConfigFrom, PAPER_LORA } from "./lora.js";
import {
  baseTensors,
  type DecoderModel,
  disposeDecoder,
  forward,
  loadDecoder,
  trainableVariables,
  weightDecayMask,
} from "./model.js";
import { qwen3Config } from "./random-weights.js";
import { tf } from "./tf.js";
import { resolveTrainConfig } from "./train-config.js";
import { train } from "./trainer.js";
import { exampleFromPromptAndReply } from "./training-example.js";

const weights = randomQwen3Weights(11);
let dir: string;

beforeAll(async () => {
  await selectBackend("cpu", () => {});
  dir = await mkdtemp(path.join(tmpdir(), "ssb-distill-qwen3-"));
  await writeQwen3Checkpoint(dir, weights);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadModel(trainable: "lora" | "full"): Promise<DecoderModel> {
  const checkpoint = await loadCheckpoint(dir);
  expect(checkpoint.config).toEqual(config);
  // qwen3Config (random-weights.ts) builds the same architecture from sizes.
  expect(
    qwen3Config({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 16, intermediate: 48, vocab: 50 }),
  ).toMatchObject({
    architecture: "Qwen3ForCausalLM",
    headDim: 16,
    qkNorm: true,
    attentionBias: config.attentionBias,
  });
  const model = await loadDecoder(
    checkpoint.config,
    (name) => checkpoint.weights.readFloat32(name),
    (name) => checkpoint.weights.has(name),
    trainable,
  );
  await checkpoint.close();
  return model;
}

describe("a Qwen3 checkpoint in the tfjs student", () => {
  it("left-padded batch logits equal a float64 forward (q/k norms before RoPE) within 1e-4", async () => {
    const model = await loadModel("lora");
    const ids = [
      [0, 0, 7, 19, 3, 44, 12, 8],
      [5, 31, 2, 49, 17, 26, 9, 40],
    ];
    const mask = [
      [0, 0, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ];
    const positions = mask.map((row) => {
      let seen = 0;
      return row.map((m) => {
        seen += m;
        return Math.max(0, seen - 1);
      });
    });
    const logits = tf.tidy(
      () =>
        forward(model, {
          inputIds: Int32Array.from(ids.flat()),
          batch: 2,
          length: 8,
          positionIds: Int32Array.from(positions.flat()),
          attentionMask: Uint8Array.from(mask.flat()),
        }).dataSync() as Float32Array,
    );
    const V = config.vocabSize;
    let worst = 0;
    let spread = 0;
    for (let b = 0; b < 2; b++) {
      const want = float64Forward(
        config,
        weights,
        ids[b] as number[],
        positions[b] as number[],
        mask[b] as number[],
      );
      for (let s = 0; s < 8; s++) {
        if (!mask[b]?.[s]) continue;
        for (let v = 0; v < V; v++) {
          const expected = want[s * V + v] as number;
          worst = Math.max(worst, Math.abs((logits[(b * 8 + s) * V + v] as number) - expected));
          spread = Math.max(spread, Math.abs(expected));
        }
      }
    }
    expect(spread).toBeGreaterThan(0.1); // logits that differ, so the comparison means something
    expect(worst).toBeLessThan(1e-4);
    disposeDecoder(model);
  });

  it("full-parameter mode trains q_norm / k_norm without weight decay; LoRA never targets them", async () => {
    const full = await loadModel("full");
    const names = [...baseTensors(full).keys()];
    expect(names).toContain("model.layers.1.self_attn.q_norm.weight");
    expect(names).toContain("model.layers.1.self_attn.k_norm.weight");
    expect(trainableVariables(full)).toHaveLength(names.length);
    const decay = weightDecayMask(full);
    const decayed = (name: string) => decay[names.indexOf(name)];
    expect(decayed("model.layers.0.self_attn.q_norm.weight")).toBe(false);
    expect(decayed("model.layers.0.self_attn.k_norm.weight")).toBe(false);
    expect(decayed("model.layers.0.self_attn.q_proj.weight")).toBe(true);
    disposeDecoder(full);

    const lora = initLora(config, loraConfigFrom(PAPER_LORA), 1);
    expect(lora.size).toBe(2 * 7);
    expect([...lora.keys()].some((key) => key.includes("norm"))).toBe(false);
    for (const layer of lora.values()) {
      layer.aT.dispose();
      layer.bT.dispose();
    }
  });

  it("full-parameter SFT changes the q/k norm weights and saves them in a checkpoint that loads back", async () => {
    const examples = [0, 1].map((i) =>
      exampleFromPromptAndReply(`e${i}`, [1, 10 + i], [30 + i, 40, 2], null),
    );
    const result = await train({
      model: await loadModel("full"),
      examples,
      config: resolveTrainConfig({
        mode: "sft",
        trainable: "full",
        epochs: 2,
        batchSize: 1,
        optimizer: { lr: 1e-2, schedule: "constant" },
        checkpointEvery: 0,
      }),
      outDir: path.join(dir, "full-run"),
      progress: false,
      log: () => {},
    });
    await copyFile(path.join(dir, "config.json"), path.join(result.savedTo, "config.json"));
    const saved = await loadCheckpoint(result.savedTo); // validates every tensor's presence and shape
    for (const name of ["model.layers.0.self_attn.q_norm.weight", "model.layers.1.self_attn.k_norm.weight"]) {
      const trained = (await saved.weights.readFloat32(name)).data;
      const before = weights.get(name) as Float32Array;
      let moved = 0;
      for (let i = 0; i < before.length; i++)
        moved = Math.max(moved, Math.abs((trained[i] as number) - (before[i] as number)));
      expect(moved, name).toBeGreaterThan(1e-4);
    }
    await saved.close();
  });
});
