/** The curation adapter: assignable to @ssb/curation's TeacherGenerator, and curation's teacher step runs on it. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Grader, runTeacherStep, type TeacherGenerator } from "@ssb/curation";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { modelFingerprint } from "./fingerprints.js";
import { Generator } from "./generator.js";
import { scoreContinuations } from "./score.js";
import { createTeacherGenerator } from "./teacher-generator.js";

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

it("runs curation's teacher step with logit capture; stored ids are the sampled ids", async () => {
  const storeDir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-teacher-"));
  const writer = await openLogitStoreWriter(storeDir, {
    modelId: gen.modelId,
    tokenizerHash: gen.tokenizer?.fingerprint() ?? "none",
    vocabSize: gen.vocabSize,
    k: 8,
    dtype: "float32",
    captureTemperature: 0.4,
  });
  // Type check: the adapter is a curation TeacherGenerator.
  const teacher: TeacherGenerator = createTeacherGenerator({
    generator: gen,
    logitWriter: writer,
    maxBatch: 4,
  });
  const acceptAll: Grader = () => ({ verdict: "correct", extracted: "x", reason: "test" });
  const tasks = ["a", "b", "c"].map((id) => ({
    problemId: id,
    messages: [{ role: "user", content: `problem ${id}` }],
    gold: "x",
  }));
  const outcomes = await runTeacherStep(tasks, teacher, {
    grader: acceptAll,
    seed: 5,
    sampling: { maxNewTokens: 16 },
    rejectTruncated: false,
  });
  await writer.close();
  const store = await openLogitStore(storeDir);
  expect(outcomes.size).toBe(3);
  for (const task of tasks) {
    const o = outcomes.get(task.problemId);
    if (o?.kind !== "accepted") throw new Error(`not accepted: ${JSON.stringify(o)}`);
    const key = o.result.logitKey as string;
    const ex = store.read(key);
    expect(Array.from(ex.tokenIds)).toEqual(o.result.tokenIds);
    // The captured logits are the teacher-forced ones for these ids.
    const [scored] = await scoreContinuations(
      gen,
      [{ id: key, messages: task.messages, continuation: o.result.tokenIds }],
      { k: 8 },
    );
    expect(Array.from(ex.topkIds)).toEqual(Array.from(scored?.topkIds ?? []));
  }
  store.close();
  await rm(storeDir, { recursive: true, force: true });
});

it("says what it is: the model's fingerprint and the sampling it adds (curation pins it)", async () => {
  const plain = createTeacherGenerator({ generator: gen });
  expect(plain.identity).toBe(`model ${modelFingerprint(gen.session.file)}`);
  // A day changes nothing for a template that does not write the date (curation run.json files stay as they were).
  expect(createTeacherGenerator({ generator: gen, templateDate: "2024-07-26" }).identity).toBe(
    plain.identity,
  );
  // The same files elsewhere are the same teacher: the fingerprint reads the files, not their path.
  const moved = await exportTinyRef();
  const again = await Generator.load(moved);
  try {
    expect(createTeacherGenerator({ generator: again }).identity).toBe(plain.identity);
  } finally {
    await again.close();
    await rm(moved, { recursive: true, force: true });
  }
  const penalised = createTeacherGenerator({
    generator: gen,
    sampling: { repetitionPenalty: 1.1, minP: 0.05 },
  });
  expect(penalised.identity).toBe(`${plain.identity}; sampling {"minP":0.05,"repetitionPenalty":1.1}`);
  // Defaults given explicitly are the same teacher (ssb-rollout --teacher-prompts fills them all in), and so
  // are settings every request overrides (temperature, top-k, seed).
  const explicit = createTeacherGenerator({
    generator: gen,
    sampling: {
      maxNewTokens: 256,
      minP: 0,
      repetitionPenalty: 1,
      stopStrings: [],
      temperature: 0.9,
      seed: 3,
    },
  });
  expect(explicit.identity).toBe(plain.identity);
  expect(createTeacherGenerator({ generator: gen, sampling: { stopTokenIds: [] } }).identity).toBe(
    `${plain.identity}; sampling {"stopTokenIds":[]}`,
  );
});

it("refuses capture without a writer", async () => {
  const teacher = createTeacherGenerator({ generator: gen });
  const run = async () => {
    for await (const _ of teacher.generate(
      [{ id: "x", messages: [{ role: "user", content: "q" }], sampling: { temperature: 1, topK: 5 } }],
      { captureLogits: true },
    ));
  };
  await expect(run()).rejects.toThrow(/no logitWriter/);
});

it("returns a teacher prompt too long for the model's context as an empty truncated reply, and runs the rest", async () => {
  const teacher = createTeacherGenerator({ generator: gen, maxBatch: 4 });
  const sampling = { temperature: 0.4, topK: 50, maxNewTokens: 6, seed: 1 };
  // The tiny model's tokenizer is byte-level: 600 characters are more than its 512 positions.
  const requests = [
    { id: "long", messages: [{ role: "user", content: "x".repeat(600) }], sampling },
    { id: "short", messages: [{ role: "user", content: "2 + 2?" }], sampling },
  ];
  const results = new Map<string, { tokenIds: number[]; finishReason: string; text: string }>();
  for await (const r of teacher.generate(requests, { captureLogits: false })) results.set(r.id, r);
  expect(results.get("long")).toMatchObject({ text: "", tokenIds: [], finishReason: "length" });
  expect(results.get("short")?.tokenIds.length).toBeGreaterThan(0);
});

it("samples a request's given promptIds without tokenizing its messages again, as it would from its messages", async () => {
  const teacher = createTeacherGenerator({ generator: gen, maxBatch: 4 });
  const sampling = { temperature: 0.8, topK: 50, maxNewTokens: 8, seed: 3 };
  const messages = [{ role: "user", content: "What is 7 * 6?" }];
  const promptIds = gen.encodePrompt({ id: "q", messages });
  const collect = async (request: Parameters<typeof teacher.generate>[0][number]) => {
    const out: number[][] = [];
    for await (const r of teacher.generate([request], { captureLogits: false })) out.push(r.tokenIds);
    return out;
  };
  const fromMessages = await collect({ id: "q", messages, sampling });
  const encode = vi.spyOn(gen, "encodePrompt");
  try {
    expect(await collect({ id: "q", messages, promptIds, sampling })).toEqual(fromMessages);
    // The ids are what is sampled from: other ids (the messages unchanged) give another reply.
    expect(await collect({ id: "q", messages, promptIds: promptIds.slice(0, -3), sampling })).not.toEqual(
      fromMessages,
    );
    // (The generator's own encodePrompt calls get the ids and return them as they are.)
    expect(encode.mock.calls.filter(([input]) => input.tokenIds === undefined)).toEqual([]);
  } finally {
    encode.mockRestore();
  }
});

it("re-samples a request already in the store without capture, and refuses a store holding another run's tokens", async () => {
  const storeDir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-teacher-store-"));
  const open = () =>
    openLogitStoreWriter(storeDir, {
      modelId: gen.modelId,
      tokenizerHash: gen.tokenizer?.fingerprint() ?? "none",
      vocabSize: gen.vocabSize,
      k: 4,
      dtype: "float32",
      captureTemperature: 0.4,
    });
  const request = (seed: number) => ({
    id: "p#1",
    messages: [{ role: "user", content: "3 + 4?" }],
    sampling: { temperature: 0.9, topK: 50, maxNewTokens: 12, seed },
  });
  const run = async (seed: number) => {
    const writer = await open();
    try {
      const teacher = createTeacherGenerator({ generator: gen, logitWriter: writer });
      const out = [];
      for await (const r of teacher.generate([request(seed)], { captureLogits: true })) out.push(r);
      return out;
    } finally {
      await writer.close();
    }
  };
  try {
    const [first] = await run(3);
    const [again] = await run(3); // a resumed run: same seed, same tokens, not stored twice
    expect(again?.tokenIds).toEqual(first?.tokenIds);
    await expect(run(4)).rejects.toThrow(/example "p#1" holds other tokens than the teacher sampled/);
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
});
