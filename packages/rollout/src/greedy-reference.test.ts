/**
 * Acceptance 1: greedy decoding of the exported qwen2-tiny-ref reproduces the float64 reference ids and,
 * more tellingly, the logits of every step (which catch KV-cache and position bugs the ids miss), alone and
 * batched with prompts of other lengths.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import {
  type GreedyReference,
  greedyAgainstReference,
  readGreedyReference,
} from "../test/greedy-reference.js";
import { Generator, type PromptInput } from "./generator.js";
import { scoreContinuations } from "./score.js";

let dir: string;
let work: string;
let gen: Generator;
let reference: GreedyReference;

beforeAll(async () => {
  dir = await exportTinyRef();
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-greedy-"));
  gen = await Generator.load(dir);
  reference = await readGreedyReference();
});

afterAll(async () => {
  await gen?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
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
      const { ref, captured, worst } = await greedyAgainstReference(
        gen,
        reference,
        batchWith,
        { maxBatch, refill: "eager" },
        work,
      );
      expect(ref.tokenIds).toEqual(reference.generatedIds);
      expect(ref.finishReason).toBe("length");
      expect(captured).toBe(reference.steps);
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it("teacher-forced scoring of the greedy reply gives the same step logits in one pass", async () => {
    const V = reference.vocab;
    const [scored] = await scoreContinuations(
      gen,
      [{ id: "ref", promptIds: reference.prompt, continuation: reference.generatedIds }],
      { k: V },
    );
    if (!scored) throw new Error("no result");
    let worst = 0;
    for (let s = 0; s < reference.steps; s++) {
      const row = new Float32Array(V);
      for (let j = 0; j < V; j++)
        row[scored.topkIds[s * V + j] as number] = scored.topkLogits[s * V + j] as number;
      worst = Math.max(worst, maxDiff(row, reference.stepLogits.subarray(s * V, (s + 1) * V)));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
