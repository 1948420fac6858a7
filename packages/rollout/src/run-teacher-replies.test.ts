/**
 * `ssb-rollout --teacher-prompts`: curation's teacher-prompts.jsonl in, the replies ssb-curate reads out,
 * with each request sampled as the in-process teacher adapter samples it and its logits stored under its id.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  loadRepliesGenerator,
  parseGenerationResult,
  teacherMessagesHash,
  teacherRequestHash,
} from "@ssb/curation";
import { openLogitStore } from "@ssb/logit-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { textSink } from "../test/text-sink.js";
import { runCli } from "./cli-main.js";
import { Generator } from "./generator.js";
import { runTeacherReplies } from "./run-teacher-replies.js";
import { createTeacherGenerator, type TeacherGenerationRequest } from "./teacher-generator.js";

let modelDir: string;
let work: string;
beforeAll(async () => {
  modelDir = await exportTinyRef();
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-teacher-job-"));
});
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** Lines shaped as @ssb/curation writes them (with fields generation does not read). */
const PROMPTS = ["q1", "q2", "q3"].map((problemId, i) => ({
  problemId,
  gold: String(i),
  template: "ssb-default",
  messages: [
    { role: "system", content: "You are a math tutor." },
    { role: "user", content: `Problem ${i}: what is ${i} + ${i}? Correct: ... Wrong: ...` },
  ],
  studentMessages: [{ role: "user", content: `what is ${i} + ${i}?` }],
  requests: [1, 2].map((attempt) => ({
    id: `${problemId}#${attempt}`,
    sampling: { temperature: 0.4, topK: 50, maxNewTokens: 10, seed: 1000 * i + attempt },
  })),
}));

const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("ssb-rollout --teacher-prompts", () => {
  it("writes one reply per request, as the teacher adapter samples it, with its logits under the request id", async () => {
    const file = path.join(work, "teacher-prompts.jsonl");
    writeFileSync(file, `${PROMPTS.map((p) => JSON.stringify(p)).join("\n")}\n`);
    const out = path.join(work, "replies.jsonl");
    const logits = path.join(work, "logits");
    const args = ["--model", modelDir, "--teacher-prompts", file, "--out", out, "--capture-logits", logits];
    const err = textSink();
    expect(await runCli(args, { out: textSink().stream, err: err.stream }), err.text()).toBe(0);
    expect(err.text()).toMatch(/6 new, 0 already done, 6\/6 of this job/);
    const replies = lines(out);
    expect(replies.map((r) => r.id).sort()).toEqual(["q1#1", "q1#2", "q2#1", "q2#2", "q3#1", "q3#2"]);

    // The same requests through the in-process adapter: the same tokens.
    const gen = await Generator.load(modelDir);
    const requests: TeacherGenerationRequest[] = PROMPTS.flatMap((p) =>
      p.requests.map((r) => ({ id: r.id, messages: p.messages, sampling: r.sampling })),
    );
    const direct = new Map<string, number[]>();
    const live = createTeacherGenerator({ generator: gen });
    for await (const r of live.generate(requests, {
      captureLogits: false,
    }))
      direct.set(r.id, r.tokenIds);
    await gen.close();

    const store = await openLogitStore(logits);
    for (const [i, line] of replies.entries()) {
      const reply = parseGenerationResult(line, `replies.jsonl:${i + 1}`); // what ssb-curate reads
      expect(reply.tokenIds).toEqual(direct.get(reply.id));
      expect(reply.logitKey).toBe(reply.id);
      expect(Array.from(store.read(reply.id).tokenIds)).toEqual(reply.tokenIds);
      expect(line.sampleIndex).toBe(Number(reply.id.split("#")[1]) - 1);
    }
    store.close();

    // The hashes are curation's: ssb-curate --teacher-replies accepts these replies for these requests,
    // and refuses them for a rewritten prompt.
    const byId = new Map(requests.map((r) => [r.id, r]));
    for (const line of replies) {
      const request = byId.get(line.id as string) as TeacherGenerationRequest;
      expect(line.requestHash).toBe(teacherRequestHash(request.id, request.sampling));
      expect(line.messagesHash).toBe(teacherMessagesHash(request.messages));
    }
    const fromFile = await loadRepliesGenerator(out);
    // What wrote the replies is the live adapter's identity: curation pins the same string either way.
    expect([...new Set(replies.map((r) => r.teacher))]).toEqual([live.identity]);
    expect(fromFile.identity).toBe(live.identity);
    const accepted: string[] = [];
    for await (const r of fromFile.generate(requests, { captureLogits: false })) accepted.push(r.id);
    expect(accepted).toEqual(requests.map((r) => r.id));
    const rewritten = [{ ...requests[0]!, messages: [{ role: "user", content: "another prompt" }] }];
    await expect(
      (async () => {
        for await (const _ of fromFile.generate(rewritten, { captureLogits: false }));
      })(),
    ).rejects.toThrow(/replies\.jsonl:\d+: reply "q1#1" was generated for another prompt/);

    // Rerun: nothing new. Sampling flags a request carries itself are refused.
    const again = textSink();
    expect(await runCli(args, { out: textSink().stream, err: again.stream })).toBe(0);
    expect(again.text()).toMatch(/0 new, 6 already done/);
    const bad = textSink();
    expect(await runCli([...args, "--temperature", "0.7"], { out: textSink().stream, err: bad.stream })).toBe(
      2,
    );
    expect(bad.text()).toMatch(/--teacher-prompts: --temperature cannot be used/);
    // The same prompts asking for other sampling (curation rerun with --temperature 0.9) are another job.
    const hotter = path.join(work, "teacher-prompts-hot.jsonl");
    const hot = PROMPTS.map((p) => ({
      ...p,
      requests: p.requests.map((r) => ({ ...r, sampling: { ...r.sampling, temperature: 0.9 } })),
    }));
    writeFileSync(hotter, `${hot.map((p) => JSON.stringify(p)).join("\n")}\n`);
    const mixed = textSink();
    const hotArgs = args.map((a) => (a === file ? hotter : a));
    expect(await runCli(hotArgs, { out: textSink().stream, err: mixed.stream }), mixed.text()).toBe(1);
    expect(mixed.text()).toMatch(/replies\.jsonl:\d+: request "q1#1" was sampled with other settings/);
  });

  it("--stop-id adds to the model's own stop ids in teacher mode too", async () => {
    const file = path.join(work, "stop-id-prompts.jsonl");
    writeFileSync(file, `${JSON.stringify(PROMPTS[0])}\n`);
    const out = path.join(work, "stop-id-replies.jsonl");
    const args = ["--model", modelDir, "--teacher-prompts", file, "--out", out, "--stop-id", "13"];
    expect(await runCli(args, { out: textSink().stream, err: textSink().stream })).toBe(0);
    const settings = JSON.parse(readFileSync(`${out}.settings.json`, "utf8"));
    expect(settings.sampling.stopTokenIds).toEqual([2, 13]);
  });

  it("resumes a job whose too-long prompts got empty replies without logits", async () => {
    const long = {
      ...PROMPTS[0],
      problemId: "long",
      messages: [{ role: "user", content: "x".repeat(600) }], // 600 bytes: past the 512 positions
      requests: [{ id: "long#1", sampling: { temperature: 0.4, topK: 50, maxNewTokens: 10, seed: 1 } }],
    };
    const file = path.join(work, "with-long.jsonl");
    writeFileSync(file, `${[PROMPTS[1], long].map((p) => JSON.stringify(p)).join("\n")}\n`);
    const out = path.join(work, "long-replies.jsonl");
    const args = ["--model", modelDir, "--teacher-prompts", file, "--out", out];
    const capture = ["--capture-logits", path.join(work, "long-logits")];
    expect(await runCli([...args, ...capture], { out: textSink().stream, err: textSink().stream })).toBe(0);
    const reply = lines(out).find((r) => r.id === "long#1");
    expect(reply).toMatchObject({ text: "", tokenIds: [], finishReason: "length" });
    expect(reply?.logitKey).toBeUndefined();
    const again = textSink();
    expect(
      await runCli([...args, ...capture], { out: textSink().stream, err: again.stream }),
      again.text(),
    ).toBe(0);
    expect(again.text()).toMatch(/0 new, 3 already done/);
    // Resumed with another capture folder: refused before any store is made there (the too-long reply has no
    // logits, so 2 of the 3 records are missing theirs).
    const elsewhere = path.join(work, "elsewhere-logits");
    const refused = textSink();
    const otherCapture = ["--capture-logits", elsewhere];
    expect(await runCli([...args, ...otherCapture], { out: textSink().stream, err: refused.stream })).toBe(1);
    expect(refused.text()).toMatch(
      /elsewhere-logits: holds no logit store, but 2 record\(s\) of .*long-replies\.jsonl have their logits in one/,
    );
    expect(existsSync(elsewhere)).toBe(false);
  });

  it("stopped by its signal, then rerun: the bytes of an uninterrupted run, counts as on disk", async () => {
    const gen = await Generator.load(modelDir);
    try {
      const prompts = [
        ...PROMPTS,
        {
          ...PROMPTS[0]!,
          problemId: "q4",
          requests: [{ id: "q4#1", sampling: PROMPTS[0]!.requests[0]!.sampling }],
        },
      ];
      const reference = path.join(work, "stop-ref.jsonl");
      await runTeacherReplies({ generator: gen, prompts, outFile: reference });
      const out = path.join(work, "stopped.jsonl");
      const logits = path.join(work, "stopped-logits");
      const stop = new AbortController();
      const first = await runTeacherReplies({
        generator: gen,
        prompts,
        outFile: out,
        capture: { dir: logits },
        maxBatch: 2,
        onProgress: (p) => {
          if (p.finishedSequences >= 2) stop.abort();
        },
        signal: stop.signal,
      });
      expect(first.interrupted).toBe(true);
      expect(first.written).toBeLessThan(7);
      expect(lines(out)).toHaveLength(first.written); // held records (flushEvery 64) saved on the way out
      const rest = await runTeacherReplies({
        generator: gen,
        prompts,
        outFile: out,
        capture: { dir: logits },
      });
      expect(rest).toMatchObject({
        written: 7 - first.written,
        skipped: first.written,
        total: 7,
        interrupted: false,
      });
      const strip = (r: Record<string, unknown>) => ({ ...r, logitKey: undefined });
      expect(lines(out).map(strip)).toEqual(lines(reference).map(strip));
      const store = await openLogitStore(logits);
      expect(store.size).toBe(7);
      store.close();
    } finally {
      await gen.close();
    }
  });

  it("stopped before its first reply: leaves neither the output nor the logit store it had just created", async () => {
    const gen = await Generator.load(modelDir);
    try {
      const out = path.join(work, "stopped-at-once.jsonl");
      const logits = path.join(work, "stopped-at-once-logits");
      const stop = new AbortController();
      stop.abort();
      const summary = await runTeacherReplies({
        generator: gen,
        prompts: PROMPTS,
        outFile: out,
        capture: { dir: logits },
        signal: stop.signal,
      });
      expect(summary).toMatchObject({ written: 0, interrupted: true });
      // Before: the output went, but logits/ stayed holding an empty store (its k then pinned for a rerun).
      expect([existsSync(out), existsSync(logits)]).toEqual([false, false]);
    } finally {
      await gen.close();
    }
  });

  it("with capture, refuses requests at more than one temperature before any file is made", async () => {
    const gen = await Generator.load(modelDir);
    try {
      // Say, two curation runs' teacher prompts put together, the second at temperature 0.7.
      const prompts = PROMPTS.map((p, i) =>
        i < 2
          ? p
          : {
              ...p,
              requests: p.requests.map((r) => ({ ...r, sampling: { ...r.sampling, temperature: 0.7 } })),
            },
      );
      const out = path.join(work, "mixed.jsonl");
      const logits = path.join(work, "mixed-logits");
      const run = (order: typeof prompts) =>
        runTeacherReplies({ generator: gen, prompts: order, outFile: out, capture: { dir: logits } });
      // Before: the store took the first request's 0.4, and a rerun with the prompts in another order (0.7
      // first) was refused by the store ("metadata mismatch (captureTemperature ...)") after the first run's
      // hours of work; the store claimed 0.4 for replies sampled at 0.7 either way.
      await expect(run(prompts)).rejects.toThrow(
        'teacher prompts: requests sample at more than one temperature (0.4 at prompts[0].requests[0] "q1#1", 0.7 at prompts[2].requests[0] "q3#1"), and a logit store records the one its replies were sampled at (captureTemperature; the logits themselves are raw, at temperature 1): capture each temperature\'s requests into a store of its own (split the teacher prompts), or run without --capture-logits (nothing was created)',
      );
      expect([existsSync(out), existsSync(logits)]).toEqual([false, false]);
      // One temperature per store: the 0.7 requests alone are taken, and their store says 0.7.
      const hot = [prompts[2]!];
      await runTeacherReplies({ generator: gen, prompts: hot, outFile: out, capture: { dir: logits } });
      const store = await openLogitStore(logits);
      expect(store.meta.captureTemperature).toBe(0.7);
      store.close();
      // Read from a file (the CLI), the prompts are named by their lines.
      const file = path.join(work, "mixed-prompts.jsonl");
      writeFileSync(file, `${prompts.map((p) => JSON.stringify(p)).join("\n")}\n`);
      const err = textSink();
      const args = [
        "--model",
        modelDir,
        "--teacher-prompts",
        file,
        "--out",
        path.join(work, "mixed-cli.jsonl"),
      ];
      expect(
        await runCli([...args, "--capture-logits", path.join(work, "mixed-cli-logits")], {
          out: textSink().stream,
          err: err.stream,
        }),
      ).not.toBe(0);
      expect(err.text()).toContain(
        `(0.4 at ${file}:1 requests[0] "q1#1", 0.7 at ${file}:3 requests[0] "q3#1")`,
      );
    } finally {
      await gen.close();
    }
  });

  it("resumes on another execution provider than the one its replies were generated on, saying so", async () => {
    const gen = await Generator.load(modelDir);
    try {
      const out = path.join(work, "provider.jsonl");
      await runTeacherReplies({ generator: gen, prompts: PROMPTS.slice(0, 1), outFile: out });
      const settingsFile = `${out}.settings.json`;
      const settings = JSON.parse(readFileSync(settingsFile, "utf8")) as Record<string, unknown>;
      expect(settings.executionProvider).toBe("cpu"); // before: not recorded
      writeFileSync(settingsFile, JSON.stringify({ ...settings, executionProvider: "webgpu" }));
      const warnings: string[] = [];
      await runTeacherReplies({
        generator: gen,
        prompts: PROMPTS,
        outFile: out,
        warn: (m) => warnings.push(m),
      });
      expect(warnings).toEqual([
        expect.stringMatching(/generated on webgpu, and this run is on cpu; .* resume with --ep webgpu/),
      ]);
      expect(JSON.parse(readFileSync(settingsFile, "utf8")).executionProvider).toEqual(["webgpu", "cpu"]);
    } finally {
      await gen.close();
    }
  });

  it("refuses repeated request ids from code, which would otherwise lose a reply on resume", async () => {
    const gen = await Generator.load(modelDir);
    try {
      const out = path.join(work, "repeated-ids.jsonl");
      const q2 = PROMPTS[1]!;
      await runTeacherReplies({ generator: gen, prompts: [q2], outFile: out });
      const written = readFileSync(out, "utf8");
      // q1 asks for a request under q2's first id: before, the rerun generated it, matched it to q2's record
      // by id, skipped it as already written and still counted it as written (1 new, nothing on disk).
      const q1 = { ...PROMPTS[0]!, requests: [{ ...PROMPTS[0]!.requests[0]!, id: "q2#1" }] };
      await expect(runTeacherReplies({ generator: gen, prompts: [q1, q2], outFile: out })).rejects.toThrow(
        'teacher prompts: request id "q2#1" appears twice (prompts[0].requests[0] and prompts[1].requests[0]); ids must be unique',
      );
      await expect(runTeacherReplies({ generator: gen, prompts: [q2, q2], outFile: out })).rejects.toThrow(
        'teacher prompts: problem id "q2" appears twice (prompts[0] and prompts[1])',
      );
      expect(readFileSync(out, "utf8")).toBe(written);
    } finally {
      await gen.close();
    }
  });

  it("names the line of a record that is not a teacher prompt", async () => {
    const file = path.join(work, "not-teacher.jsonl");
    writeFileSync(file, `${JSON.stringify(PROMPTS[0])}\n${JSON.stringify({ id: "a", question: "q" })}\n`);
    const err = textSink();
    const args = ["--model", modelDir, "--teacher-prompts", file, "--out", path.join(work, "x.jsonl")];
    expect(await runCli(args, { out: textSink().stream, err: err.stream })).toBe(1);
    expect(err.text()).toMatch(
      /not-teacher\.jsonl:2: this looks like a problems file .*: use --problems FILE/,
    );
  });
});
