/**
 * Generation on the exported qwen2-tiny-ref: the first-token distribution checked end to end by chi-square
 * (acceptance 2), captured logits vs a teacher-forced pass (acceptance 3), reproducibility across batch
 * sizes and orders, stop ids / stop strings / max tokens, and the dummy ORT GenAI decoder's I/O contract.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dummyDecoderDir, exportTinyRef, exportTwinLogitsModel } from "../test/fixtures.js";
import { DecoderSession, type ForwardOutput } from "./decoder-session.js";
import { type FinishedSequence, type GenerateOptions, Generator, type PromptInput } from "./generator.js";
import { topK } from "./logit-math.js";
import { samplingDistribution } from "./sampler.js";
import { scoreContinuations } from "./score.js";
import { type BatchTop, rowTop } from "./top-k-selector.js";

let dir: string;
let gen: Generator;

beforeAll(async () => {
  dir = await exportTinyRef();
  gen = await Generator.load(dir);
});

afterAll(async () => {
  await gen?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(prompts: PromptInput[], options: GenerateOptions): Promise<FinishedSequence[]> {
  const out: FinishedSequence[] = [];
  for await (const s of gen.generate(prompts, options)) out.push(s);
  return out;
}

/** A fresh float32 logit store for the tiny model (vocabulary 256) holding the top `k` per token. */
async function tinyStore(prefix: string, k: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const writer = await openLogitStoreWriter(dir, {
    modelId: "tiny",
    tokenizerHash: "none",
    vocabSize: 256,
    k,
    dtype: "float32",
    captureTemperature: 1,
  });
  return { dir, writer };
}

/** A pass's logits, which these tests always fetch. */
function fetched(out: ForwardOutput): Float32Array {
  expect(out.logits).not.toBeNull();
  return out.logits as Float32Array;
}

const byKey = (seqs: FinishedSequence[]): Map<string, number[]> =>
  new Map(seqs.map((s) => [`${s.promptId}#${s.sampleIndex}`, s.tokenIds]));

const PROMPTS: PromptInput[] = [
  { id: "a", tokenIds: [46, 77, 210, 14, 124, 154, 225, 139, 96, 6] },
  { id: "b", tokenIds: [193, 85, 182, 85] },
  { id: "c", tokenIds: [215, 73, 148, 176, 128, 63, 218, 11, 12, 13, 14, 15, 16] },
];
// A very low temperature makes these near-uniform random logits into a distribution with real structure.
const SAMPLING = { temperature: 0.2, topK: 40, topP: 0.95, maxNewTokens: 12, seed: 7, stopTokenIds: [] };

describe("sampling end to end", () => {
  it("first-token frequencies match the model's softmax(logits / T) under top-k (chi-square, alpha 0.001)", async () => {
    const prompt = PROMPTS[0]?.tokenIds as number[];
    const { lastLogits } = await gen.forwardPadded([prompt], 2 ** 25, null);
    const settings = { temperature: 0.05, topK: 20, topP: 1, minP: 0, repetitionPenalty: 1 };
    const expected = samplingDistribution(lastLogits[0] as Float32Array, settings);
    const N = 6000;
    const seqs = await run([{ id: "dist", tokenIds: prompt, n: N }], {
      maxBatch: 64,
      sampling: { ...settings, maxNewTokens: 1, seed: 99, stopTokenIds: [] },
    });
    expect(seqs).toHaveLength(N);
    const counts = new Map<number, number>();
    for (const s of seqs) counts.set(s.tokenIds[0] as number, (counts.get(s.tokenIds[0] as number) ?? 0) + 1);
    for (const id of counts.keys()) expect(expected.has(id), `token ${id} was filtered out`).toBe(true);
    let chi = 0;
    for (const [id, p] of expected) chi += ((counts.get(id) ?? 0) - p * N) ** 2 / (p * N);
    const df = expected.size - 1;
    const a = 2 / (9 * df);
    expect(chi).toBeLessThan(df * (1 - a + 3.0902 * Math.sqrt(a)) ** 3);
  });

  it("gives the same samples whatever the batch size, refill policy or prompt order", async () => {
    const opts = { n: 3, sampling: SAMPLING };
    const one = byKey(await run(PROMPTS, { ...opts, maxBatch: 1 }));
    const wide = byKey(await run(PROMPTS, { ...opts, maxBatch: 16 }));
    const waves = byKey(await run([...PROMPTS].reverse(), { ...opts, maxBatch: 4, refill: "waves" }));
    const two = byKey(await run([...PROMPTS].reverse(), { ...opts, maxBatch: 2, refill: "eager" }));
    expect(one.size).toBe(9);
    expect(wide).toEqual(one);
    expect(waves).toEqual(one);
    expect(two).toEqual(one);
    // Different samples of one prompt differ (independent streams).
    expect(one.get("a#0")).not.toEqual(one.get("a#1"));
    // A subset of sample indices reproduces exactly those samples (what resume relies on).
    const subset = byKey(
      await run([{ ...PROMPTS[1], sampleIndices: [2] } as PromptInput], { ...opts, maxBatch: 4 }),
    );
    expect(subset.get("b#2")).toEqual(one.get("b#2"));
  });
});

describe("stopping", () => {
  it("stops on a stop id (kept as the last token) and on max new tokens", async () => {
    const free = await run([PROMPTS[2] as PromptInput], {
      n: 4,
      sampling: { ...SAMPLING, maxNewTokens: 30 },
    });
    const firstTokens = free.map((s) => s.tokenIds[3] as number);
    const stopId = firstTokens[0] as number;
    const seqs = await run([PROMPTS[2] as PromptInput], {
      n: 4,
      sampling: { ...SAMPLING, maxNewTokens: 30, stopTokenIds: [stopId] },
    });
    for (const s of seqs) {
      const full = free.find((f) => f.sampleIndex === s.sampleIndex) as FinishedSequence;
      const at = full.tokenIds.indexOf(stopId);
      if (at >= 0) {
        expect(s.finishReason).toBe("stop");
        expect(s.tokenIds).toEqual(full.tokenIds.slice(0, at + 1));
      } else {
        expect(s.finishReason).toBe("length");
        expect(s.tokenIds).toHaveLength(30);
      }
    }
    expect(seqs.some((s) => s.finishReason === "stop")).toBe(true);
  });

  it("stops on a stop string and cuts the text before it", async () => {
    const [free] = await run([{ id: "s", messages: [{ role: "user", content: "hi" }] }], {
      sampling: { ...SAMPLING, maxNewTokens: 20 },
    });
    if (!free) throw new Error("no output");
    const text = gen.tokenizer?.decode(free.tokenIds) ?? "";
    const stop = text.slice(5, 7);
    const [cut] = await run([{ id: "s", messages: [{ role: "user", content: "hi" }] }], {
      sampling: { ...SAMPLING, maxNewTokens: 20, stopStrings: [stop] },
    });
    expect(cut?.finishReason).toBe("stop");
    expect(cut?.stopString).toBe(stop);
    expect(cut?.text).toBe(text.slice(0, text.indexOf(stop)));
  });
});

describe("prompt checks", () => {
  const one = { ...SAMPLING, maxNewTokens: 4 };
  const fails = (prompts: PromptInput[], options: GenerateOptions = { sampling: one }) =>
    expect(run(prompts, options)).rejects;

  it("refuses ids outside the vocabulary, naming the prompt and the position", async () => {
    // onnxruntime's Gather would read -1 as the table's last row (255) without a word.
    await fails([{ id: "neg", tokenIds: [1, -1] }]).toThrow(
      /prompt "neg": token 1 is -1, not an id in \[0, 256\)/,
    );
    await fails([{ id: "big", tokenIds: [256] }]).toThrow(/prompt "big": token 0 is 256/);
    await fails([{ id: "frac", tokenIds: [1.5] }]).toThrow(/prompt "frac": token 0 is 1.5/);
  });

  it("refuses a prompt that leaves no room in the context for a reply token (max_position_embeddings 512)", async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => 1 + (i % 200));
    await fails([{ id: "long", tokenIds: ids(512) }]).toThrow(
      /prompt "long": 512 tokens and 1 more do not fit in the model's context of 512 positions/,
    );
    // 511 fits, and the reply stops at the context's end.
    const [s] = await run([{ id: "edge", tokenIds: ids(511) }], { sampling: one });
    expect(s?.tokenIds).toHaveLength(1);
    expect(s?.finishReason).toBe("length");
  });

  it("checks sample counts and indices", async () => {
    const p = { id: "p", tokenIds: [1, 2, 3] };
    await fails([{ ...p, n: -1 }]).toThrow(/prompt "p": n must be an integer >= 0, found -1/);
    await fails([{ ...p, n: 2.5 }]).toThrow(/n must be an integer >= 0, found 2.5/);
    await fails([{ ...p, sampleIndices: [0, 0] }]).toThrow(/sample index 0 appears twice/);
    await fails([{ ...p, sampleIndices: [-1] }]).toThrow(/sample indices must be integers >= 0, found -1/);
    expect(await run([{ ...p, n: 0 }], { sampling: one })).toEqual([]);
  });

  it("refuses stop strings on a model without a tokenizer instead of ignoring them", async () => {
    const bare = await Generator.load(dir, { tokenizer: false });
    try {
      const stream = bare.generate([{ id: "p", tokenIds: [1, 2, 3] }], {
        sampling: { ...one, stopStrings: ["x"] },
      });
      await expect(stream.next()).rejects.toThrow(/prompt "p": stop strings need the model's tokenizer.json/);
    } finally {
      await bare.close();
    }
  });

  it("scoring refuses an empty prompt, a k beyond the vocabulary, and a sequence past the context", async () => {
    const cont = [5, 6, 7];
    await expect(scoreContinuations(gen, [{ id: "e", promptIds: [], continuation: cont }])).rejects.toThrow(
      /score "e": empty prompt/,
    );
    await expect(
      scoreContinuations(gen, [{ id: "k", promptIds: [1], continuation: cont }], { k: 300 }),
    ).rejects.toThrow(/k must be an integer in \[1, 256\], found 300/);
    const long = Array.from({ length: 510 }, () => 3);
    await expect(scoreContinuations(gen, [{ id: "l", promptIds: long, continuation: cont }])).rejects.toThrow(
      /score "l" \(prompt and continuation\): 513 tokens do not fit in the model's context of 512/,
    );
    await expect(
      scoreContinuations(gen, [{ id: "n", promptIds: [1], continuation: [2, -3] }]),
    ).rejects.toThrow(/token 2 is -3/);
  });

  it("scoring into a store refuses, before any pass, a request the store already holds or a repeated id", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-score-store-"));
    const meta = { modelId: "t", tokenizerHash: "none", vocabSize: 256, k: 4, dtype: "float32" as const };
    const writer = await openLogitStoreWriter(dir, { ...meta, captureTemperature: 1 });
    try {
      const request = (id: string) => ({ id, promptIds: [1, 2], continuation: [3, 4] });
      await scoreContinuations(gen, [request("a")], { writer });
      // A rerun after a crash, with one new request before the stored one (maxBatch 1: one pass each). Before,
      // "b" was scored and written, then the store refused "a" part way through.
      await expect(
        scoreContinuations(gen, [request("b"), request("a")], { writer, maxBatch: 1 }),
      ).rejects.toThrow(
        /score: "a" is already in the logit store .*; pass only the requests it lacks \(writer\.has\(id\)\) to resume/,
      );
      expect(writer.has("b")).toBe(false);
      await expect(scoreContinuations(gen, [request("c"), request("c")], { writer })).rejects.toThrow(
        'score: request id "c" appears twice',
      );
      // Without a store the ids are only labels.
      expect(await scoreContinuations(gen, [request("a"), request("a")])).toHaveLength(2);
    } finally {
      await writer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("logit capture", () => {
  it("captured top-k equal a teacher-forced full pass over the same ids; logsumexp matches the full vocab", async () => {
    const storeDir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-capture-"));
    const k = 8;
    const writer = await openLogitStoreWriter(storeDir, {
      modelId: "tiny",
      tokenizerHash: gen.tokenizer?.fingerprint() ?? "none",
      vocabSize: 256,
      k,
      dtype: "float32",
      captureTemperature: SAMPLING.temperature,
    });
    const seqs = await run(PROMPTS, {
      n: 2,
      maxBatch: 4,
      refill: "eager",
      sampling: { ...SAMPLING, temperature: 0.8, repetitionPenalty: 1.3 },
      capture: { writer },
    });
    await writer.close();
    const store = await openLogitStore(storeDir);
    const prompts = new Map(PROMPTS.map((p) => [p.id, p.tokenIds as number[]]));
    const scored = await scoreContinuations(
      gen,
      seqs.map((s) => ({
        id: s.logitKey as string,
        promptIds: prompts.get(s.promptId) as number[],
        continuation: s.tokenIds,
      })),
      { k: 256, maxBatch: 3 },
    );
    let worst = 0;
    let worstLse = 0;
    for (const [i, s] of seqs.entries()) {
      const ex = store.read(s.logitKey as string);
      const ref = scored[i];
      if (!ref) throw new Error("missing score");
      expect(Array.from(ex.tokenIds)).toEqual(s.tokenIds);
      for (let t = 0; t < s.tokenIds.length; t++) {
        // The reference's top-k are the first k of its full sorted row (k = V).
        const refIds = Array.from(ref.topkIds.subarray(t * 256, t * 256 + k));
        expect(Array.from(ex.topkIds.subarray(t * k, (t + 1) * k))).toEqual(refIds);
        for (let j = 0; j < k; j++) {
          worst = Math.max(
            worst,
            Math.abs((ex.topkLogits[t * k + j] as number) - (ref.topkLogits[t * 256 + j] as number)),
          );
        }
        // Full-vocab log-sum-exp from the reference's whole row.
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < 256; j++) m = Math.max(m, ref.topkLogits[t * 256 + j] as number);
        let z = 0;
        for (let j = 0; j < 256; j++) z += Math.exp((ref.topkLogits[t * 256 + j] as number) - m);
        worstLse = Math.max(worstLse, Math.abs((ex.logSumExp[t] as number) - (m + Math.log(z))));
      }
    }
    expect(worst).toBeLessThan(1e-4);
    expect(worstLse).toBeLessThan(1e-4);
    store.close();
    await rm(storeDir, { recursive: true, force: true });
  });
});

describe("batched top-k (onnxruntime TopK for the whole step)", () => {
  it("gives the same tokens and captured logits as the per-row JavaScript scan", async () => {
    const always = await Generator.load(dir, { batchTopK: "always" });
    const never = await Generator.load(dir, { batchTopK: "never" });
    const settings = [
      { ...SAMPLING, temperature: 0 },
      { ...SAMPLING, temperature: 0.9, topK: 5, topP: 1 },
      { ...SAMPLING, temperature: 0.7, topK: 40, topP: 0.8, minP: 0.05 },
      { ...SAMPLING, temperature: 0.8, topK: 20, repetitionPenalty: 1.3 },
      { ...SAMPLING, temperature: 1, topK: 0, topP: 0.9 },
    ];
    for (const [i, sampling] of settings.entries()) {
      const runWith = async (g: Generator): Promise<{ seqs: FinishedSequence[]; store: string }> => {
        const { dir: store, writer } = await tinyStore("ssb-rollout-topk-", 6);
        const seqs: FinishedSequence[] = [];
        const prompts = PROMPTS.map((p) => ({ ...p, id: `${p.id}${i}` }));
        for await (const s of g.generate(prompts, { n: 3, maxBatch: 5, sampling, capture: { writer } }))
          seqs.push(s);
        await writer.close();
        return { seqs, store };
      };
      const a = await runWith(always);
      const b = await runWith(never);
      expect(byKey(a.seqs)).toEqual(byKey(b.seqs));
      const sa = await openLogitStore(a.store);
      const sb = await openLogitStore(b.store);
      for (const s of a.seqs) {
        const key = s.logitKey as string;
        const x = sa.read(key);
        const y = sb.read(key);
        expect(Array.from(x.topkIds)).toEqual(Array.from(y.topkIds));
        expect(Array.from(x.topkLogits)).toEqual(Array.from(y.topkLogits));
        // From the graph's float32 reduction vs JavaScript's float64 sum over the fetched row.
        expect(x.logSumExp.length).toBe(y.logSumExp.length);
        let worst = 0;
        x.logSumExp.forEach((v, t) => {
          worst = Math.max(worst, Math.abs(v - (y.logSumExp[t] as number)));
        });
        expect(worst).toBeLessThan(1e-5);
      }
      sa.close();
      sb.close();
      for (const d of [a.store, b.store]) await rm(d, { recursive: true, force: true });
    }
    await always.close();
    await never.close();
  });

  it("draws from the in-graph lists alone, without fetching logits, when no row needs its logits", async () => {
    const always = await Generator.load(dir, { batchTopK: "always" });
    const never = await Generator.load(dir, { batchTopK: "never" });
    const flags: boolean[] = [];
    const forward = always.session.forward.bind(always.session);
    always.session.forward = (input) => {
      if (input.seq === 1) flags.push(input.fetchLogits ?? true);
      return forward(input);
    };
    for (const sampling of [
      { ...SAMPLING, temperature: 0 },
      { ...SAMPLING, temperature: 0.9, topK: 5, topP: 0.9, minP: 0.02 },
    ]) {
      const seqs = async (g: Generator): Promise<FinishedSequence[]> => {
        const out: FinishedSequence[] = [];
        for await (const s of g.generate(PROMPTS, { n: 3, maxBatch: 5, sampling })) out.push(s);
        return out;
      };
      expect(byKey(await seqs(always))).toEqual(byKey(await seqs(never)));
    }
    expect(flags.length).toBeGreaterThan(0);
    expect(flags.every((f) => !f)).toBe(true);
    await always.close();
    await never.close();
  });

  it("captures from the lists and the graph's log-sum-exp without fetching logits", async () => {
    const always = await Generator.load(dir, { batchTopK: "always" });
    expect(always.session.logSumExpInGraph).toBe(true);
    const passes: { fetched: boolean; lseRows: number }[] = [];
    const forward = always.session.forward.bind(always.session);
    always.session.forward = (input) => {
      if (input.seq === 1)
        passes.push({ fetched: input.fetchLogits ?? true, lseRows: input.logSumExpRows?.length ?? 0 });
      return forward(input);
    };
    const { dir: store, writer } = await tinyStore("ssb-rollout-lse-", 5);
    const sampling = { ...SAMPLING, temperature: 0.8, topK: 12, topP: 0.9 };
    const seqs: FinishedSequence[] = [];
    for await (const s of always.generate(PROMPTS, { n: 2, maxBatch: 6, sampling, capture: { writer } }))
      seqs.push(s);
    await writer.close();
    expect(passes.length).toBeGreaterThan(0);
    expect(passes.every((p) => !p.fetched && p.lseRows > 0)).toBe(true);
    // Every captured step against a teacher-forced pass over the same ids (acceptance 3's check).
    const reader = await openLogitStore(store);
    const scored = await scoreContinuations(
      always,
      seqs.map((s) => ({
        id: s.logitKey as string,
        promptIds: PROMPTS.find((p) => s.promptId === p.id)?.tokenIds ?? [],
        continuation: s.tokenIds,
      })),
      { k: 5 },
    );
    for (const [i, s] of seqs.entries()) {
      const got = reader.read(s.logitKey as string);
      const want = scored[i];
      expect(Array.from(got.tokenIds)).toEqual(s.tokenIds);
      let worst = 0;
      got.logSumExp.forEach((v, t) => {
        worst = Math.max(worst, Math.abs(v - (want?.logSumExp[t] as number)));
      });
      expect(worst).toBeLessThan(1e-4);
      expect(Array.from(got.topkIds)).toEqual(Array.from(want?.topkIds ?? []));
    }
    reader.close();
    await rm(store, { recursive: true, force: true });
    await always.close();
  });

  it("reruns a step with its logits when a top list ends in a tie at the k-th logit", async () => {
    // Every logit has a bit-identical twin: with top-k 5 the 5th and 6th largest always tie.
    const twins = await exportTwinLogitsModel();
    const always = await Generator.load(twins, { batchTopK: "always", tokenizer: false });
    const never = await Generator.load(twins, { batchTopK: "never", tokenizer: false });
    const passes: boolean[] = [];
    const forward = always.session.forward.bind(always.session);
    always.session.forward = (input) => {
      if (input.seq === 1) passes.push(input.fetchLogits ?? true);
      return forward(input);
    };
    const sampling = { ...SAMPLING, temperature: 0.9, topK: 5, topP: 1, maxNewTokens: 10 };
    const seqs = async (g: Generator): Promise<Map<string, number[]>> => {
      const out: FinishedSequence[] = [];
      for await (const s of g.generate(PROMPTS, { n: 2, maxBatch: 6, sampling })) out.push(s);
      return byKey(out);
    };
    const a = await seqs(always);
    expect(a).toEqual(await seqs(never));
    // Each step: a pass without logits, then the same step again with them.
    expect(passes.length).toBeGreaterThan(0);
    expect(passes.filter((f) => !f).length).toBe(passes.length / 2);
    await always.close();
    await never.close();
    await rm(twins, { recursive: true, force: true });
  });

  it('"auto" takes the lists from the graph when a step\'s scans would cost more, by rows and k', async () => {
    // The tiny model's 256 logits: top-k 50 over 128 rows is worth the graph's TopK (each row's list
    // costs far more than its scan); greedy over 128 rows, or top-k 50 over 8 rows, is scanned.
    const auto = await Generator.load(dir, { tokenizer: false });
    const decodeTopK: (number | undefined)[] = [];
    const forward = auto.session.forward.bind(auto.session);
    auto.session.forward = (input) => {
      if (input.seq === 1) decodeTopK.push(input.topK);
      return forward(input);
    };
    const usesGraph = async (prompts: number, sampling: Partial<typeof SAMPLING>): Promise<boolean> => {
      decodeTopK.length = 0;
      const ids = Array.from({ length: prompts }, (_, i) => ({ id: `p${i}`, tokenIds: [5 + i, 9, 14] }));
      const options = {
        n: 4,
        maxBatch: 4 * prompts,
        sampling: { ...sampling, maxNewTokens: 3, stopTokenIds: [] },
      };
      for await (const _ of auto.generate(ids, options));
      expect(decodeTopK.length).toBeGreaterThan(0);
      return decodeTopK.every((k) => k !== undefined);
    };
    expect(await usesGraph(32, { temperature: 1, topK: 50 })).toBe(true);
    expect(await usesGraph(32, { temperature: 0 })).toBe(false);
    expect(await usesGraph(2, { temperature: 1, topK: 50 })).toBe(false);
    await auto.close();
  });

  it("rejects an unknown mode before opening the model", async () => {
    await expect(Generator.load(dir, { batchTopK: "sometimes" as unknown as "auto" })).rejects.toThrow(
      /batchTopK must be "auto", "always" or "never"/,
    );
  });
});

describe("session loader", () => {
  it("reads names, dtypes and KV layout from the ORT GenAI dummy decoder (int32 ids)", async () => {
    const s = await DecoderSession.open(path.join(dummyDecoderDir, "decoder.onnx"));
    expect(s.io.inputIdsType).toBe("int32");
    expect(s.io.attentionMaskType).toBe("int64");
    expect(s.io.kv).toEqual([
      {
        layer: 0,
        pastKey: "past_key_values.0.key",
        pastValue: "past_key_values.0.value",
        presentKey: "present.0.key",
        presentValue: "present.0.value",
      },
    ]);
    expect(s.io.kvLayout).toBe("heads-first");
    expect([s.io.numKvHeads, s.io.headDim, s.io.vocabSize]).toEqual([2, 4, 32]);
    // Its constant outputs are shaped for batch 2 x 2 tokens; a run with int32 ids goes through.
    const input = { tokenIds: [3, 4, 5, 6], rows: 2, seq: 2, pads: [0, 1] };
    const out = await s.forward({ ...input, past: s.emptyKv(2) });
    expect(out.vocab).toBe(32);
    expect(out.present.length).toBe(2);
    // No new_key_values outputs: the whole present cache is fetched each pass.
    expect(s.io.stepKv).toBeNull();
    expect(s.appendsInPlace).toBe(false);
    // No logits_to_keep either: asking for the last position still returns every position.
    const last = await s.forward({ ...input, past: s.emptyKv(2), lastLogitsOnly: true });
    expect([s.keepsLastLogits, s.prunedNodes, last.positions]).toEqual([false, 0, 2]);
    await s.close();
  });

  it("loads the edited graph of a model with external data (weights beside it, found by folder)", async () => {
    const external = await exportTinyRef("ssb-rollout-external-", "plain", true);
    expect(existsSync(path.join(external, "model.onnx.data"))).toBe(true);
    const s = await DecoderSession.open(external, { warn: (m) => expect.fail(m) });
    expect(s.keepsLastLogits).toBe(true);
    const inline = await DecoderSession.open(dir);
    const input = { tokenIds: [5, 9, 77, 3, 120, 0, 14, 200, 8, 61], rows: 2, seq: 5, pads: [0, 1] };
    const a = await s.forward({ ...input, past: s.emptyKv(2, 5), lastLogitsOnly: true });
    const b = await inline.forward({ ...input, past: inline.emptyKv(2, 5), lastLogitsOnly: true });
    expect(Array.from(fetched(a))).toEqual(Array.from(fetched(b)));
    await s.close();
    await inline.close();
    await rm(external, { recursive: true, force: true });
  });

  it("computes only the last position's logits of a prompt when asked, equal to the full pass's", async () => {
    for (const appendKvInPlace of [true, false]) {
      const s = await DecoderSession.open(dir, { appendKvInPlace });
      expect(s.keepsLastLogits).toBe(true);
      const input = { tokenIds: [5, 9, 77, 3, 120, 0, 14, 200, 8, 61], rows: 2, seq: 5, pads: [0, 1] };
      const all = await s.forward({ ...input, past: s.emptyKv(2, 5) });
      const last = await s.forward({ ...input, past: s.emptyKv(2, 5), lastLogitsOnly: true });
      expect([all.positions, last.positions]).toEqual([5, 1]);
      const V = all.vocab;
      for (let r = 0; r < 2; r++) {
        expect(Array.from(fetched(last).subarray(r * V, (r + 1) * V))).toEqual(
          Array.from(fetched(all).subarray((r * 5 + 4) * V, (r * 5 + 5) * V)),
        );
      }
      await s.close();
    }
  });

  it("reads the exported tiny model as int64 ids, f32 KV [batch, kv, seq, dim]", () => {
    const io = gen.session.io;
    expect([io.inputIdsType, io.kvType, io.kvLayout, io.numKvHeads, io.headDim, io.kv.length]).toEqual([
      "int64",
      "float32",
      "heads-first",
      2,
      16,
      2,
    ]);
    expect(io.stepKv).toEqual([
      { key: "new_key_values.0.key", value: "new_key_values.0.value" },
      { key: "new_key_values.1.key", value: "new_key_values.1.value" },
    ]);
    expect(gen.session.appendsInPlace).toBe(true);
    // Loaded on CPU without present.*, attention reading past and new columns apart (so the cache
    // concatenations went with present.*), a TopK over the logits, and the logits fetched from the LM
    // head's Gemm (its Reshape, Identity and their shape's two nodes pruned: 10 + 4 nodes).
    const { prunedNodes, splitAttentionLayers, keepsLastLogits, topKInGraph, logitsOutput } = gen.session;
    expect([prunedNodes, splitAttentionLayers, keepsLastLogits, topKInGraph]).toEqual([14, 2, true, true]);
    expect(logitsOutput).toBe("lm_head");
  });

  it("returns each position's top-k from the model's own pass, with or without the logits", async () => {
    const s = await DecoderSession.open(dir);
    const input = { tokenIds: [5, 9, 77, 3, 120, 0, 14, 200, 8, 61], rows: 2, seq: 5, pads: [0, 1] };
    const both = await s.forward({ ...input, past: s.emptyKv(2, 5), topK: 7 });
    const listsOnly = await s.forward({ ...input, past: s.emptyKv(2, 5), topK: 7, fetchLogits: false });
    expect(listsOnly.logits).toBeNull();
    const V = both.vocab;
    const logits = fetched(both);
    for (const out of [both, listsOnly]) {
      const top = out.top as BatchTop;
      expect([top.rows, top.k, out.vocab]).toEqual([10, 7, V]);
      for (let p = 0; p < 10; p++) {
        const expected = topK(logits.subarray(p * V, (p + 1) * V), 7);
        const got = rowTop(top, p);
        expect(Array.from(got.ids)).toEqual(Array.from(expected.ids));
        expect(Array.from(got.values)).toEqual(Array.from(expected.values));
      }
    }
    await expect(s.forward({ ...input, past: s.emptyKv(2), fetchLogits: false })).rejects.toThrow(
      /needs topK/,
    );
    await expect(s.forward({ ...input, past: s.emptyKv(2), topK: V + 1 })).rejects.toThrow(/topK must be/);
    // The LM head's own result (fetched here) holds the file's logits (cpuGraphEdits: false fetches those).
    const asFiled = await DecoderSession.open(dir, { cpuGraphEdits: false });
    expect([s.logitsOutput, asFiled.logitsOutput]).toEqual(["lm_head", "logits"]);
    const filed = fetched(await asFiled.forward({ ...input, past: asFiled.emptyKv(2, 5) }));
    expect(filed.length).toBe(logits.length);
    let worst = 0;
    for (let i = 0; i < filed.length; i++)
      worst = Math.max(worst, Math.abs((filed[i] as number) - (logits[i] as number)));
    expect(worst).toBeLessThan(1e-5); // the split attention rounds differently, nothing else
    await asFiled.close();
    await s.close();
    // Other graph edits are CPU-only too, and none of them without the in-place cache.
    const fetchAll = await DecoderSession.open(dir, { appendKvInPlace: false });
    expect([fetchAll.splitAttentionLayers, fetchAll.prunedNodes, fetchAll.topKInGraph]).toEqual([0, 4, true]);
    expect(fetchAll.logitsOutput).toBe("lm_head");
    await fetchAll.close();
  });
});

describe("KV appended in place (new_key_values) vs the whole present fetched", () => {
  it("gives the same tokens and captured logits within 1e-5, across refills, chunked prefill and regrowth", async () => {
    const fetchAll = await Generator.load(dir, { appendKvInPlace: false });
    expect([fetchAll.session.appendsInPlace, fetchAll.session.prunedNodes]).toEqual([false, 4]);
    const runWith = async (g: Generator) => {
      const { dir: store, writer } = await tinyStore("ssb-rollout-inplace-", 4);
      const seqs: FinishedSequence[] = [];
      // 60 new tokens outgrow the first spare columns; a small logit budget chunks the prefill; eager
      // refill admits prompts into a running batch.
      for await (const s of g.generate(PROMPTS, {
        n: 3,
        maxBatch: 4,
        refill: "eager",
        prefillLogitBudget: 256 * 4 * 3,
        sampling: { ...SAMPLING, temperature: 0.9, maxNewTokens: 60 },
        capture: { writer },
      }))
        seqs.push(s);
      await writer.close();
      return { seqs, store: await openLogitStore(store), dir: store };
    };
    const a = await runWith(gen);
    const b = await runWith(fetchAll);
    expect(byKey(a.seqs)).toEqual(byKey(b.seqs));
    let worst = 0;
    for (const s of a.seqs) {
      const x = a.store.read(s.logitKey as string);
      const y = b.store.read(s.logitKey as string);
      expect(Array.from(x.topkIds)).toEqual(Array.from(y.topkIds));
      for (let i = 0; i < x.topkLogits.length; i++)
        worst = Math.max(worst, Math.abs((x.topkLogits[i] as number) - (y.topkLogits[i] as number)));
    }
    expect(worst).toBeLessThan(1e-5);
    for (const r of [a, b]) {
      r.store.close();
      await rm(r.dir, { recursive: true, force: true });
    }
    await fetchAll.close();
  });

  it("works on the contrib export (GroupQueryAttention) too", async () => {
    const contribDir = await exportTinyRef("ssb-rollout-contrib-", "contrib");
    const inPlace = await Generator.load(contribDir);
    const fetchAll = await Generator.load(contribDir, { appendKvInPlace: false });
    // GroupQueryAttention must produce present itself: only the logits' relabelling nodes go.
    expect([inPlace.session.appendsInPlace, inPlace.session.prunedNodes]).toEqual([true, 4]);
    const options = { n: 2, maxBatch: 6, sampling: { ...SAMPLING, maxNewTokens: 40 } };
    const collect = async (g: Generator) => {
      const out: FinishedSequence[] = [];
      for await (const s of g.generate(PROMPTS, options)) out.push(s);
      return byKey(out);
    };
    const a = await collect(inPlace);
    expect(a).toEqual(await collect(fetchAll));
    expect(a).toEqual(byKey(await run(PROMPTS, options))); // and the plain export
    // A prefill too big for one pass: GroupQueryAttention refuses a multi-row pass after cached positions
    // (onnxruntime: "batch_size must be 1 when sequence_length > 1 and past context is given"), so rows go
    // in groups that fit one pass (2 rows here), or alone in chunks of positions (4 positions here).
    expect(inPlace.session.multiRowChunks).toBe(false);
    for (const prefillLogitBudget of [128 * 13 * 2, 128 * 4]) {
      const out: FinishedSequence[] = [];
      for await (const s of inPlace.generate(PROMPTS, { ...options, prefillLogitBudget })) out.push(s);
      expect(byKey(out)).toEqual(a);
    }
    // Scoring (every position's logits) through the same row groups and chunks.
    const requests = PROMPTS.map((p) => ({
      id: p.id,
      promptIds: p.tokenIds as number[],
      continuation: [7, 8, 9],
    }));
    const whole = await scoreContinuations(inPlace, requests, { k: 5 });
    const grouped = await scoreContinuations(inPlace, requests, { k: 5, logitBudget: 256 * 16 * 2 });
    const alone = await scoreContinuations(inPlace, requests, { k: 5, logitBudget: 256 * 4 });
    for (const other of [grouped, alone]) {
      other.forEach((s, i) => {
        const w = whole[i] as (typeof whole)[number];
        expect(Array.from(s.topkIds)).toEqual(Array.from(w.topkIds));
        for (const [t, v] of s.logSumExp.entries())
          expect(Math.abs(v - (w.logSumExp[t] as number))).toBeLessThan(1e-5);
      });
    }
    await inPlace.close();
    await fetchAll.close();
    await rm(contribDir, { recursive: true, force: true });
  });
});
