/**
 * The cache kept in onnxruntime tensors (kvOnDevice), run on the CPU provider: the same graph gathers and
 * the same release bookkeeping a GPU provider uses, checked against the host cache.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { type FinishedSequence, type GenerateOptions, Generator, type PromptInput } from "./generator.js";
import { allocKv, gatherKv, type KvBatch, type KvGeometry, type KvRowSource } from "./kv-batch.js";
import { type DeviceKvBatch, DeviceKvGatherer, isDeviceKv } from "./kv-device.js";
import { scoreContinuations } from "./score.js";

const cpuSession = (model: Uint8Array) => ort.InferenceSession.create(model, { executionProviders: ["cpu"] });

/** A batch with every element distinct: value = 1000 * batch tag + its flat index. */
function filled(geom: KvGeometry, rows: number, length: number, capacity: number, tag: number): KvBatch {
  const kv = allocKv(geom, rows, length, capacity);
  for (const a of kv.arrays)
    for (let i = 0; i < a.length; i++)
      a[i] = geom.dtype === "float16" ? (tag * 97 + i) % 30000 : tag * 1000 + i;
  return kv;
}

/** Element (row, head, position, dim) of a host batch or of a device batch held in host memory. */
function element(
  geom: KvGeometry,
  kv: KvBatch | DeviceKvBatch,
  r: number,
  h: number,
  t: number,
  d: number,
): number {
  const data = (isDeviceKv(kv) ? kv.tensors[0]?.data : kv.arrays[0]) as Float32Array | Uint16Array;
  const { heads: H, headDim: D } = geom;
  const C = kv.capacity;
  const at = geom.layout === "heads-first" ? ((r * H + h) * C + t) * D + d : ((r * C + t) * H + h) * D + d;
  return data[at] as number;
}

describe("device KV gather (on the CPU provider)", () => {
  for (const layout of ["heads-first", "seq-first"] as const) {
    for (const dtype of ["float32", "float16"] as const) {
      it(`copies each row's real positions right aligned, as the host gather does (${layout}, ${dtype})`, async () => {
        const geom: KvGeometry = { layout, heads: 2, headDim: 3, dtype, names: ["k", "v"] };
        const gatherer = new DeviceKvGatherer(geom, cpuSession);
        // A running batch of length 6 (host, 2 spare columns) and a shorter prompt batch of length 3:
        // the new batch is 6 long, the prompt rows padded in front; a prompt row repeats (two samples).
        const running = filled(geom, 3, 6, 8, 1);
        const prompts = filled(geom, 2, 3, 3, 2);
        const sources: KvRowSource[] = [
          { from: running, row: 2, len: 6 },
          { from: running, row: 0, len: 4 },
          { from: prompts, row: 1, len: 3 },
          { from: prompts, row: 1, len: 3 },
          { from: running, row: 1, len: 5 },
          { from: prompts, row: 0, len: 2 },
        ];
        const got = await gatherer.gather(sources);
        const want = gatherKv(geom, sources);
        expect([got.rows, got.length, got.capacity]).toEqual([6, 6, 6]);
        expect(got.tensors.map((t) => t.dims)).toEqual(
          geom.names.map(() => (layout === "heads-first" ? [6, 2, 6, 3] : [6, 6, 2, 3])),
        );
        sources.forEach((s, i) => {
          for (let h = 0; h < 2; h++)
            for (let t = 6 - s.len; t < 6; t++)
              for (let d = 0; d < 3; d++)
                expect(element(geom, got, i, h, t, d)).toBe(element(geom, want, i, h, t, d));
        });
        // And from the device batch itself (one part), to a shorter length: rows keep their suffixes.
        const again = await gatherer.gather([
          { from: got, row: 3, len: 3 },
          { from: got, row: 0, len: 4 },
        ]);
        expect(again.length).toBe(4);
        for (let h = 0; h < 2; h++)
          for (let d = 0; d < 3; d++) {
            for (let t = 1; t < 4; t++)
              expect(element(geom, again, 0, h, t, d)).toBe(element(geom, got, 3, h, t + 2, d));
            for (let t = 0; t < 4; t++)
              expect(element(geom, again, 1, h, t, d)).toBe(element(geom, got, 0, h, t + 2, d));
          }
        await gatherer.close();
      });
    }
  }

  it("matches the host gather on 60 seeded random mixes of batches, rows and lengths", async () => {
    let state = 12345;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return Math.floor((state / 2147483648) * n);
    };
    for (const layout of ["heads-first", "seq-first"] as const) {
      const geom: KvGeometry = { layout, heads: 2, headDim: 2, dtype: "float32", names: ["k", "v", "k1"] };
      const gatherer = new DeviceKvGatherer(geom, cpuSession);
      for (let trial = 0; trial < 30; trial++) {
        // 1-3 host batches of random rows, lengths and spare columns, and a device batch gathered from them.
        const hosts = Array.from({ length: 1 + rand(3) }, (_, b) => {
          const length = 1 + rand(9);
          return filled(geom, 1 + rand(4), length, length + rand(3), trial * 10 + b);
        });
        const pick = (): KvRowSource => {
          const from = hosts[rand(hosts.length)] as KvBatch;
          return { from, row: rand(from.rows), len: 1 + rand(from.length) };
        };
        const first = Array.from({ length: 1 + rand(6) }, pick);
        const device = await gatherer.gather(first);
        const hostCopy = gatherKv(geom, first);
        // Then a mix of the device batch's rows and host rows, in any order.
        const mixed = Array.from({ length: 1 + rand(7) }, () => {
          if (rand(2) === 0) return pick();
          const row = rand(first.length);
          return { from: device, row, len: 1 + rand((first[row] as KvRowSource).len) };
        });
        const got = await gatherer.gather(mixed);
        const want = gatherKv(
          geom,
          mixed.map((s) =>
            s.from === device ? { from: hostCopy, row: s.row, len: s.len } : (s as KvRowSource),
          ),
        );
        expect([got.rows, got.length]).toEqual([want.rows, want.length]);
        for (let a = 0; a < geom.names.length; a++) {
          const at = (kv: KvBatch | DeviceKvBatch, r: number, h: number, t: number, d: number): number => {
            const data = (isDeviceKv(kv) ? kv.tensors[a]?.data : kv.arrays[a]) as Float32Array;
            const C = kv.capacity;
            return data[
              layout === "heads-first" ? ((r * 2 + h) * C + t) * 2 + d : ((r * C + t) * 2 + h) * 2 + d
            ] as number;
          };
          mixed.forEach((s, i) => {
            for (let t = want.length - s.len; t < want.length; t++)
              for (let h = 0; h < 2; h++)
                for (let d = 0; d < 2; d++) expect(at(got, i, h, t, d)).toBe(at(want, i, h, t, d));
          });
        }
      }
      await gatherer.close();
    }
  });

  it("refuses a source batch that was already released", async () => {
    const geom: KvGeometry = { layout: "heads-first", heads: 1, headDim: 2, dtype: "float32", names: ["k"] };
    const gatherer = new DeviceKvGatherer(geom, cpuSession);
    const first = await gatherer.gather([{ from: filled(geom, 1, 2, 2, 1), row: 0, len: 2 }]);
    first.tensors.length = 0;
    await expect(gatherer.gather([{ from: first, row: 0, len: 2 }])).rejects.toThrow(/already released/);
    await gatherer.close();
  });
});

describe("generation with the cache kept in onnxruntime tensors", () => {
  let dir: string;
  let host: Generator;
  let device: Generator;
  beforeAll(async () => {
    dir = await exportTinyRef("ssb-rollout-kv-device-");
    host = await Generator.load(dir);
    device = await Generator.load(dir, { kvOnDevice: true });
  });
  afterAll(async () => {
    await host?.close();
    await device?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const PROMPTS: PromptInput[] = [
    { id: "a", tokenIds: [46, 77, 210, 14, 124, 154, 225, 139, 96, 6] },
    { id: "b", tokenIds: [193, 85, 182, 85] },
    { id: "c", tokenIds: [215, 73, 148, 176, 128, 63, 218, 11, 12, 13, 14, 15, 16] },
    { id: "d", tokenIds: [9, 8, 7] },
  ];
  const SAMPLING = { temperature: 0.5, topK: 40, topP: 0.95, maxNewTokens: 30, seed: 3, stopTokenIds: [] };

  async function withStore(g: Generator, options: GenerateOptions) {
    const store = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-kv-device-store-"));
    const writer = await openLogitStoreWriter(store, {
      modelId: "tiny",
      tokenizerHash: "none",
      vocabSize: 256,
      k: 4,
      dtype: "float32",
      captureTemperature: 1,
    });
    const seqs: FinishedSequence[] = [];
    for await (const s of g.generate(PROMPTS, { ...options, capture: { writer } })) seqs.push(s);
    await writer.close();
    return { seqs, store: await openLogitStore(store), dir: store };
  }

  it("gives the host cache's tokens and captured logits across refills, chunked prefill and stops", async () => {
    expect([device.session.kvOnDevice, device.session.appendsInPlace]).toEqual([true, false]);
    expect(host.session.kvOnDevice).toBe(false);
    // Eager refill admits prompts into a running batch of other lengths; the small budget chunks the
    // prefill; a stop id ends some rows early, so slots free at different steps.
    const options: GenerateOptions = {
      n: 3,
      maxBatch: 5,
      refill: "eager",
      prefillLogitBudget: 256 * 4 * 3,
      sampling: { ...SAMPLING, stopTokenIds: [17, 201] },
    };
    const a = await withStore(host, options);
    const b = await withStore(device, options);
    const tokens = (seqs: FinishedSequence[]) =>
      new Map(seqs.map((s) => [`${s.promptId}#${s.sampleIndex}`, [s.finishReason, ...s.tokenIds]]));
    expect(tokens(b.seqs)).toEqual(tokens(a.seqs));
    expect(new Set(a.seqs.map((s) => s.finishReason))).toEqual(new Set(["stop", "length"]));
    let worst = 0;
    for (const s of a.seqs) {
      const x = a.store.read(s.logitKey as string);
      const y = b.store.read(s.logitKey as string);
      expect(Array.from(y.topkIds)).toEqual(Array.from(x.topkIds));
      for (let i = 0; i < x.topkLogits.length; i++)
        worst = Math.max(worst, Math.abs((x.topkLogits[i] as number) - (y.topkLogits[i] as number)));
    }
    expect(worst).toBeLessThan(1e-5);
    // Every batch was released: nothing stays allocated after the run.
    expect(device.session.liveDeviceBatches).toBe(0);
    for (const r of [a, b]) {
      r.store.close();
      await rm(r.dir, { recursive: true, force: true });
    }
  });

  it("releases every batch when the caller stops reading early or the run is aborted", async () => {
    const options: GenerateOptions = { n: 4, maxBatch: 3, sampling: SAMPLING };
    for await (const _ of device.generate(PROMPTS, options)) break;
    expect(device.session.liveDeviceBatches).toBe(0);
    const abort = new AbortController();
    let seen = 0;
    await expect(async () => {
      for await (const _ of device.generate(PROMPTS, { ...options, signal: abort.signal }))
        if (++seen === 2) abort.abort();
    }).rejects.toThrow();
    expect(device.session.liveDeviceBatches).toBe(0);
  });

  it("scores continuations as the host cache does, releasing what it made", async () => {
    const requests = PROMPTS.map((p, i) => ({
      id: p.id,
      promptIds: p.tokenIds as number[],
      continuation: [7 + i, 8, 9, 10],
    }));
    for (const logitBudget of [2 ** 25, 256 * 4]) {
      const want = await scoreContinuations(host, requests, { k: 5, logitBudget });
      const got = await scoreContinuations(device, requests, { k: 5, logitBudget });
      got.forEach((s, i) => {
        const w = want[i] as (typeof want)[number];
        expect(Array.from(s.topkIds)).toEqual(Array.from(w.topkIds));
        for (const [t, v] of s.logSumExp.entries())
          expect(Math.abs(v - (w.logSumExp[t] as number))).toBeLessThan(1e-5);
      });
    }
    expect(device.session.liveDeviceBatches).toBe(0);
  });

  it("runs the contrib export (GroupQueryAttention) with the cache in tensors", async () => {
    const contribDir = await exportTinyRef("ssb-rollout-kv-device-contrib-", "contrib");
    const a = await Generator.load(contribDir);
    const b = await Generator.load(contribDir, { kvOnDevice: true });
    const options: GenerateOptions = { n: 2, maxBatch: 4, refill: "eager", sampling: SAMPLING };
    const collect = async (g: Generator) => {
      const out = new Map<string, number[]>();
      for await (const s of g.generate(PROMPTS, options))
        out.set(`${s.promptId}#${s.sampleIndex}`, s.tokenIds);
      return out;
    };
    expect(await collect(b)).toEqual(await collect(a));
    expect(b.session.liveDeviceBatches).toBe(0);
    await a.close();
    await b.close();
    await rm(contribDir, { recursive: true, force: true });
  });
});
