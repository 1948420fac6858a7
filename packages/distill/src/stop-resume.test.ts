/** A run stopped by its signal (Ctrl-C), resumed; and resumes that would train on something else, refused. */
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterTensors } from "../test/adapter-tensors.js";
import { maxAbsDiff } from "../test/fixture.js";
import { buildSyntheticKd, loadBase, loadSyntheticExamples, type SyntheticKd } from "../test/synthetic.js";
import { readMetrics } from "./metrics.js";
import { disposeDecoder } from "./model.js";
import { type RunTrainingOptions, runTraining } from "./run-training.js";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";
import { resolveTrainConfig, type TrainConfigInput } from "./train-config.js";
import { train } from "./trainer.js";

let dir: string;
let data: SyntheticKd;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-stop-"));
  data = await buildSyntheticKd(dir, { embedScale: 4 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 8 examples in batches of 4: 2 steps an epoch, 12 steps; checkpoints only at the end unless stopped.
const settings: TrainConfigInput = {
  promptMode: "raw",
  epochs: 6,
  batchSize: 4,
  lora: { r: 8, alpha: 8 },
  optimizer: { lr: 1e-2 },
  checkpointEvery: 0,
};
const run = (out: string, extra: Partial<RunTrainingOptions> = {}, config: TrainConfigInput = settings) =>
  runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    logitsDir: data.logitsDir,
    outDir: path.join(dir, out),
    config: resolveTrainConfig(config),
    backend: "wasm",
    progress: false,
    log: () => {},
    ...extra,
  });

describe("stopping and resuming", () => {
  it("a stopped run checkpoints its last step; --resume then ends where an uninterrupted run does", async () => {
    const straight = await run("straight");
    expect(straight.interrupted).toBe(false);
    const stop = new AbortController();
    const stopped = await run("stopped", {
      signal: stop.signal,
      onStep: (m) => {
        if (m.step === 5) stop.abort();
      },
    });
    expect(stopped).toMatchObject({ interrupted: true, steps: 5, savedTo: "" });
    const resumedLog: string[] = [];
    const resumed = await run("stopped", { resume: true, log: (line) => resumedLog.push(line) });
    expect(resumed).toMatchObject({ interrupted: false, resumedFrom: 5, steps: 12 });
    expect(resumedLog.at(-1)).toMatch(/^\[distill\] done: 7 of 12 steps in \d+\.\d s this session/);
    const [a, b] = [
      await adapterTensors(path.join(dir, "straight", "adapter")),
      await adapterTensors(path.join(dir, "stopped", "adapter")),
    ];
    for (const [name, values] of a) expect(maxAbsDiff(values, b.get(name) as Float32Array), name).toBe(0);
    // Resuming the finished run trains nothing and reports its last loss, not NaN.
    const againLog: string[] = [];
    const again = await run("stopped", { resume: true, log: (line) => againLog.push(line) });
    expect(again.lastLoss).toBeCloseTo(straight.lastLoss, 6);
    expect(againLog.at(-1)).toMatch(
      /^\[distill\] done: all 12 steps were done before \(resumed at the end\)/,
    );
    // So does a resumed call stopped before its first step (its summary is the run's: steps and loss so far).
    const before = new AbortController();
    before.abort();
    const early = new AbortController();
    const first = await run("stopped-early2", {
      signal: early.signal,
      onStep: (m) => m.step === 3 && early.abort(),
    });
    const idle = await run("stopped-early2", { resume: true, signal: before.signal });
    expect(idle).toMatchObject({ interrupted: true, steps: 3, resumedFrom: 3 });
    expect(idle.lastLoss).toBe(first.lastLoss);
  });

  it("a torn last metrics line (a kill mid-write) is dropped and said; the metrics equal the uninterrupted run's", async () => {
    // After the first test: "straight" holds the uninterrupted run.
    const stop = new AbortController();
    await run("torn", { signal: stop.signal, onStep: (m) => m.step === 4 && stop.abort() });
    const metrics = path.join(dir, "torn", "metrics.jsonl");
    appendFileSync(metrics, '{"step":5,"epoch":3,"loss":0.1');
    const lines: string[] = [];
    const resumed = await run("torn", { resume: true, log: (line) => lines.push(line) });
    expect(resumed).toMatchObject({ resumedFrom: 4, steps: 12, interrupted: false });
    expect(lines).toContain(
      `[distill] ${metrics}:5: dropped a torn last line (a record cut off by a kill); the steps after 4 are redone`,
    );
    // Every step once, with the uninterrupted run's values (times and rates aside).
    const pick = (file: string) =>
      readMetrics(file).map(({ step, epoch, loss, kl, ce, gradNorm, lr, rows }) => ({
        step,
        epoch,
        loss,
        kl,
        ce,
        gradNorm,
        lr,
        rows,
      }));
    expect(pick(metrics)).toEqual(pick(path.join(dir, "straight", "metrics.jsonl")));
    // The run's wall time goes on across the resume (it started from 0 again at step 5).
    const elapsed = readMetrics(metrics).map((m) => m.elapsedSec);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
    expect(elapsed[4]).toBeGreaterThan(elapsed[3] as number);
    expect(readFileSync(metrics, "utf8").split("\n")).toHaveLength(13);
  });

  it("refuses a folder holding a GRPO run's checkpoints, touching none of its files", async () => {
    const out = path.join(dir, "grpo-run");
    const ckpt = path.join(out, "checkpoints", "step-00000002");
    mkdirSync(path.join(ckpt, "adapter"), { recursive: true });
    writeFileSync(path.join(ckpt, "grpo_state.json"), '{"step":2}\n');
    const grpoMetrics = '{"step":1,"rewardMean":0.5}\n{"step":2,"rewardMean":0.7}\n';
    writeFileSync(path.join(out, "metrics.jsonl"), grpoMetrics);
    // Both without and with resume: it was taken for a fresh start, emptying metrics.jsonl and pruning
    // the GRPO checkpoint.
    for (const resume of [false, true])
      await expect(run("grpo-run", { resume })).rejects.toThrow(
        `${ckpt}: a checkpoint without trainer_state.json (it holds adapter, grpo_state.json)`,
      );
    expect(readFileSync(path.join(out, "metrics.jsonl"), "utf8")).toBe(grpoMetrics);
    expect(readdirSync(path.join(out, "checkpoints"))).toEqual(["step-00000002"]);
  });

  it("a signal raised outside the loop (a timer, as a Ctrl-C handler runs) stops it at the next step", async () => {
    // The wasm backend computes synchronously: without a turn of the event loop between steps, a handler
    // queued as a macrotask (process signals, timers) would only run once training had ended.
    const stop = new AbortController();
    const stopped = await run("timer", {
      signal: stop.signal,
      onStep: (m) => {
        if (m.step === 2) setImmediate(() => stop.abort());
      },
    });
    expect(stopped.interrupted).toBe(true);
    expect(stopped.steps).toBeLessThanOrEqual(4);
  });

  it("a stop's own checkpoint counts toward keepCheckpoints", async () => {
    const stop = new AbortController();
    const stopped = await run(
      "kept",
      { signal: stop.signal, onStep: (m) => m.step === 3 && stop.abort() },
      { ...settings, checkpointEvery: 2, keepCheckpoints: 1 },
    );
    expect(stopped).toMatchObject({ interrupted: true, steps: 3 });
    expect(readdirSync(path.join(dir, "kept", "checkpoints"))).toEqual(["step-00000003"]);
  });

  it("refuses an output folder a live run holds", async () => {
    const out = path.join(dir, "held");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "train.lock"), String(process.ppid)); // another live process
    await expect(run("held")).rejects.toThrow(/locked by a running distill run/);
  });

  it("refuses to resume on other data, a schedule of another length, or other settings, naming each", async () => {
    const stop = new AbortController();
    await run("partial", { signal: stop.signal, onStep: (m) => m.step === 3 && stop.abort() });
    await expect(run("partial", { resume: true }, { ...settings, maxSteps: 8 })).rejects.toThrow(
      /steps in the schedule \(maxSteps, or the data\): 12 -> 8/,
    );
    await expect(run("partial", { resume: true }, { ...settings, optimizer: { lr: 5e-3 } })).rejects.toThrow(
      /optimizer\.lr: 0\.01 -> 0\.005/,
    );
    const reordered = path.join(dir, "reordered.jsonl");
    const lines = readFileSync(data.pairsFile, "utf8").split("\n").filter(Boolean);
    writeFileSync(reordered, `${lines.reverse().join("\n")}\n`);
    await expect(run("partial", { resume: true, dataFile: reordered })).rejects.toThrow(
      /data: another file than the checkpoint's/,
    );
    const done = await run("partial", { resume: true });
    expect(done).toMatchObject({ resumedFrom: 3, interrupted: false });
  });

  it("a resume through train() without inputs keeps the checkpoint's fingerprints: other data is still refused later", async () => {
    const stop = new AbortController();
    await run("direct", { signal: stop.signal, onStep: (m) => m.step === 3 && stop.abort() });
    const newestInputs = (): unknown => {
      const checkpoints = path.join(dir, "direct", "checkpoints");
      const newest = readdirSync(checkpoints).sort().at(-1) as string;
      return JSON.parse(readFileSync(path.join(checkpoints, newest, TRAINER_STATE_FILE), "utf8")).inputs;
    };
    const recorded = newestInputs();
    expect(recorded).toMatchObject({ data: expect.any(String), logits: expect.any(String) });

    // A caller of train() builds the same examples itself and gives no fingerprints; it stops at step 5.
    const examples = await loadSyntheticExamples(data);
    const model = await loadBase(data.modelDir);
    const again = new AbortController();
    try {
      const direct = await train({
        model,
        examples,
        config: resolveTrainConfig(settings),
        outDir: path.join(dir, "direct"),
        resume: true,
        signal: again.signal,
        onStep: (m) => m.step === 5 && again.abort(),
        progress: false,
        log: () => {},
      });
      expect(direct).toMatchObject({ resumedFrom: 3, steps: 5, interrupted: true });
    } finally {
      disposeDecoder(model);
    }
    expect(newestInputs()).toEqual(recorded);

    const reordered = path.join(dir, "reordered-direct.jsonl");
    const lines = readFileSync(data.pairsFile, "utf8").split("\n").filter(Boolean);
    writeFileSync(reordered, `${lines.reverse().join("\n")}\n`);
    await expect(run("direct", { resume: true, dataFile: reordered })).rejects.toThrow(
      /data: another file than the checkpoint's/,
    );
  });
});
