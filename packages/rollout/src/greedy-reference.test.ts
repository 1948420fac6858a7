/**
 * Acceptance 1: greedy decoding of the exported qwen2-tiny-ref reproduces the float64 reference ids and,
 * more tellingly, the logits of every step (which catch KV-cache and position bugs the ids miss), alone and
 * batched with prompts of other lengths.
 */
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { openSafetensors } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef, tinyRefDir } from "../test/fixtures.js";
import type { FinishedSequence } from "./generator.js";
import { Generator, type PromptInput } from "./generator.js";
import { scoreContinuations } from "./score.js";

interface Reference {
  greedy: { prompt: number[]; steps: number; generated_ids: number[] };
}

let dir: string;
let gen: Generator;
let reference: Reference;
let stepLogits: Float32Array;
const V = 256;

beforeAll(async () => {
  dir = await exportTinyRef();
  gen = await Generator.load(dir);
  reference = JSON.parse(await readFile(path.join(tinyRefDir, "reference.json"), "utf8")) as Reference;
  const file = await openSafetensors(path.join(tinyRefDir, "reference.safetensors"));
  stepLogits = (await file.readFloat32("greedy_step_logits")).data;
  await file.close();
});

afterAll(async () => {
  await gen?.close();
  await rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<FinishedSequence>): Promise<FinishedSequence[]> {
  const out: FinishedSequence[] = [];
  for await (const s of it) out.push(s);
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Greedy with capture k = V: the captured "top-k" is the whole sorted row, so every step's logits are checked. */
async function greedyWithLogits(prompts: PromptInput[], maxBatch: number) {
  const { openLogitStoreWriter, openLogitStore } = await import("@ssb/logit-store");
  const storeDir = path.join(
    dir,
    `store-${prompts.length}-${maxBatch}-${Math.random().toString(36).slice(2)}`,
  );
  const writer = await openLogitStoreWriter(storeDir, {
    modelId: "tiny",
    tokenizerHash: "none",
    vocabSize: V,
    k: V,
    dtype: "float32",
    captureTemperature: 0,
  });
  const seqs = await collect(
    gen.generate(prompts, {
      maxBatch,
      refill: "eager",
      sampling: { temperature: 0, maxNewTokens: reference.greedy.steps, stopTokenIds: [] },
      capture: { writer },
    }),
  );
  await writer.close();
  const store = await openLogitStore(storeDir);
  return { seqs, store };
}

describe("greedy decoding vs the float64 reference", () => {
  const others: PromptInput[] = [
    { id: "short", tokenIds: [193, 85, 182, 85] },
    { id: "long", tokenIds: [5, 9, 33, 70, 100, 120, 140, 160, 180, 200, 220, 240, 17, 19] },
    { id: "mid", tokenIds: [215, 73, 148, 176, 128, 63, 218] },
  ];

  for (const [label, batchWith, maxBatch] of [
    ["alone", [] as PromptInput[], 1],
    ["batched with prompts of other lengths", others, 4],
    ["batched, slots refilled as others finish", others, 2],
  ] as const) {
    it(`reproduces ids and step logits (${label})`, async () => {
      const prompts: PromptInput[] = [{ id: "ref", tokenIds: reference.greedy.prompt }, ...batchWith];
      const { seqs, store } = await greedyWithLogits(prompts, maxBatch);
      const ref = seqs.find((s) => s.promptId === "ref") as FinishedSequence;
      expect(ref.tokenIds).toEqual(reference.greedy.generated_ids);
      expect(ref.finishReason).toBe("length");
      const ex = store.read(ref.logitKey as string);
      expect(ex.length).toBe(reference.greedy.steps);
      // Unsort each captured row back to vocabulary order and compare with the reference row.
      let worst = 0;
      for (let s = 0; s < reference.greedy.steps; s++) {
        const row = new Float32Array(V);
        for (let j = 0; j < V; j++) row[ex.topkIds[s * V + j] as number] = ex.topkLogits[s * V + j] as number;
        worst = Math.max(worst, maxDiff(row, stepLogits.subarray(s * V, (s + 1) * V)));
      }
      expect(worst).toBeLessThan(1e-4);
      store.close();
    });
  }

  it("teacher-forced scoring of the greedy reply gives the same step logits in one pass", async () => {
    const [scored] = await scoreContinuations(
      gen,
      [{ id: "ref", promptIds: reference.greedy.prompt, continuation: reference.greedy.generated_ids }],
      { k: V },
    );
    if (!scored) throw new Error("no result");
    let worst = 0;
    for (let s = 0; s < reference.greedy.steps; s++) {
      const row = new Float32Array(V);
      for (let j = 0; j < V; j++)
        row[scored.topkIds[s * V + j] as number] = scored.topkLogits[s * V + j] as number;
      worst = Math.max(worst, maxDiff(row, stepLogits.subarray(s * V, (s + 1) * V)));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
