/**
 * Other exporters' I/O contracts on a real model: qwen2-tiny-ref exported, then re-dressed with a float16
 * KV cache, a [batch, seq, heads, dim] cache, int32 ids, no position_ids input, no `new_key_values.*`,
 * float16 logits, and ORT GenAI's and Optimum's combinations of those (test/decoder-interface.ts). Each must
 * be read from its metadata and reproduce the float64 reference's greedy ids and step logits, batched with
 * prompts of other lengths and slots refilled (so prefill, decode, gathering and regrowing the cache all run
 * in that contract); float32 contracts must also sample exactly what the export as written samples.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DecoderInterface, writeDecoderInterface } from "../test/decoder-interface.js";
import { exportTinyRef } from "../test/fixtures.js";
import {
  type GreedyReference,
  greedyAgainstReference,
  readGreedyReference,
} from "../test/greedy-reference.js";
import { type FinishedSequence, Generator, type PromptInput } from "./generator.js";

let exported: string;
let work: string;
let reference: GreedyReference;

beforeAll(async () => {
  exported = await exportTinyRef("ssb-rollout-contract-");
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-contracts-"));
  reference = await readGreedyReference();
});

afterAll(async () => {
  await rm(exported, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

interface Case {
  label: string;
  contract: DecoderInterface;
  /** What the session must read from the graph's metadata. */
  expectIo: {
    ids: "int32" | "int64";
    kv: "float32" | "float16";
    layout: "heads-first" | "seq-first";
    positions: boolean;
    appendsInPlace: boolean;
    /** Layers whose attention the loaded graph reads past and new columns of apart (CPU edit). */
    split: number;
  };
  /** Largest |captured - reference| logit allowed: float16 rounds a value of size ~1 by ~5e-4. */
  tolerance: number;
}

const F32 = { ids: "int64", kv: "float32", layout: "heads-first", positions: true } as const;

const CASES: Case[] = [
  {
    label: "float16 KV cache",
    contract: { kv: "float16" },
    expectIo: { ...F32, kv: "float16", appendsInPlace: true, split: 0 },
    tolerance: 1e-3,
  },
  {
    label: "KV [batch, seq, heads, dim] (present only)",
    contract: { kvLayout: "seq-first", stepKv: false },
    expectIo: { ...F32, layout: "seq-first", appendsInPlace: false, split: 0 },
    tolerance: 1e-4,
  },
  {
    label: "int32 ids, mask and positions",
    contract: { ints: "int32" },
    expectIo: { ...F32, ids: "int32", appendsInPlace: true, split: 2 },
    tolerance: 1e-4,
  },
  {
    label: "no position_ids (counted from the mask)",
    contract: { positionIds: false },
    expectIo: { ...F32, positions: false, appendsInPlace: true, split: 2 },
    tolerance: 1e-4,
  },
  {
    label: "present.* only (its Concat's new columns fetched instead)",
    contract: { stepKv: false },
    expectIo: { ...F32, appendsInPlace: true, split: 2 },
    tolerance: 1e-4,
  },
  {
    // Positions are counted in the graph: appending in place behind its Concat is not tried (a graph that
    // counted them from the past's length would be thrown off by the masked spare columns).
    label: "present.* only, no position_ids",
    contract: { stepKv: false, positionIds: false },
    expectIo: { ...F32, positions: false, appendsInPlace: false, split: 0 },
    tolerance: 1e-4,
  },
  {
    label: "float16 logits",
    contract: { logits: "float16" },
    expectIo: { ...F32, appendsInPlace: true, split: 2 },
    tolerance: 1e-3,
  },
  {
    label: "ORT GenAI's (int32 ids, f16 KV and logits, no positions, present only)",
    contract: { ints: "int32", kv: "float16", logits: "float16", positionIds: false, stepKv: false },
    expectIo: {
      ids: "int32",
      kv: "float16",
      layout: "heads-first",
      positions: false,
      appendsInPlace: false,
      split: 0,
    },
    tolerance: 1e-3,
  },
  {
    label: "f16 KV [batch, seq, heads, dim], present only",
    contract: { kv: "float16", kvLayout: "seq-first", stepKv: false },
    expectIo: { ...F32, kv: "float16", layout: "seq-first", appendsInPlace: false, split: 0 },
    tolerance: 1e-3,
  },
  {
    label: "Optimum's merged decoder (use_cache_branch, num_logits_to_keep, onnx/ subfolder, present only)",
    contract: {
      useCacheBranch: true,
      logitsToKeepInput: "num_logits_to_keep",
      stepKv: false,
      onnxSubfolder: true,
    },
    expectIo: { ...F32, appendsInPlace: true, split: 2 },
    tolerance: 1e-4,
  },
];

const OTHERS: PromptInput[] = [
  { id: "short", tokenIds: [193, 85, 182, 85] },
  { id: "long", tokenIds: [5, 9, 33, 70, 100, 120, 140, 160, 180, 200, 220, 240, 17, 19] },
  { id: "mid", tokenIds: [215, 73, 148, 176, 128, 63, 218] },
];

async function collect(it: AsyncIterable<FinishedSequence>): Promise<FinishedSequence[]> {
  const out: FinishedSequence[] = [];
  for await (const s of it) out.push(s);
  return out;
}

async function load(contract: DecoderInterface): Promise<Generator> {
  const dir = await mkdtemp(path.join(work, "model-"));
  await writeDecoderInterface(exported, dir, contract);
  return Generator.load(dir, { warn: (m) => expect.fail(m) });
}

const SAMPLING = { temperature: 0.7, topK: 40, maxNewTokens: 10, seed: 11, stopTokenIds: [] };

async function samples(gen: Generator): Promise<Map<string, number[]>> {
  const prompts = OTHERS.map((p) => ({ ...p, n: 3 }));
  const seqs = await collect(gen.generate(prompts, { maxBatch: 4, sampling: SAMPLING }));
  return new Map(seqs.map((s) => [`${s.promptId}#${s.sampleIndex}`, s.tokenIds]));
}

describe("decoder I/O contracts other than ours", () => {
  for (const c of CASES) {
    it(`${c.label}: read from metadata, reference ids and step logits`, async () => {
      const gen = await load(c.contract);
      const { io, appendsInPlace } = gen.session;
      expect({
        ids: io.inputIdsType,
        kv: io.kvType,
        layout: io.kvLayout,
        positions: io.positionIds !== null,
        appendsInPlace,
        split: gen.session.splitAttentionLayers,
      }).toEqual(c.expectIo);
      const { ref, captured, worst } = await greedyAgainstReference(
        gen,
        reference,
        OTHERS,
        { maxBatch: 2, refill: "eager" },
        work,
      );
      expect(ref.tokenIds).toEqual(reference.generatedIds);
      expect(captured).toBe(reference.steps);
      expect(worst).toBeLessThan(c.tolerance);
      await gen.close();
    });
  }

  it("feeds use_cache_branch and a scalar num_logits_to_keep, and finds config and tokenizer above onnx/", async () => {
    const gen = await load((CASES.at(-1) as Case).contract);
    const { io, keepsLastLogits, file } = gen.session;
    expect([io.useCacheBranch, io.logitsToKeep, keepsLastLogits]).toEqual([
      "use_cache_branch",
      { name: "num_logits_to_keep", rank: 0 },
      true,
    ]);
    expect(path.basename(path.dirname(file))).toBe("onnx");
    // The chat template and stop ids come from the files beside onnx/.
    expect(gen.tokenizer).not.toBeNull();
    expect(gen.defaultStopTokenIds().length).toBeGreaterThan(0);
    const [seq] = await collect(
      gen.generate([{ id: "chat", messages: [{ role: "user", content: "2+2?" }] }], {
        sampling: { temperature: 0, maxNewTokens: 4 },
      }),
    );
    expect(seq?.tokenIds.length).toBeGreaterThan(0);
    await gen.close();
  });

  it("refuses, at load, a graph input it cannot feed, naming it", async () => {
    const dir = await mkdtemp(path.join(work, "model-"));
    await writeDecoderInterface(exported, dir, { extraInput: "pixel_values" });
    await expect(Generator.load(dir)).rejects.toThrow(/model\.onnx: no way to feed input "pixel_values"/);
  });

  it("float32 contracts sample exactly what the export as written samples (same seed)", async () => {
    const asWritten = await load({});
    const expected = await samples(asWritten);
    await asWritten.close();
    expect(expected.size).toBe(9);
    for (const c of CASES.filter((x) => x.tolerance < 1e-3)) {
      const gen = await load(c.contract);
      expect(await samples(gen), c.label).toEqual(expected);
      await gen.close();
    }
  });
});
