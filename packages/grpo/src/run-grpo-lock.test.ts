import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import { runGrpo } from "./run-grpo.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("one GRPO run per output folder", () => {
  it("refuses a folder another live run holds, before loading anything, and leaves its lock", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "grpo-lock-"));
    dirs.push(outDir);
    const lock = path.join(outDir, "grpo.lock");
    writeFileSync(lock, String(process.ppid)); // a live process that is not this one
    const run = runGrpo({
      modelDir: path.join(outDir, "no-model"), // never read: the lock is taken first
      problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
      outDir,
      config: resolveGrpoConfig({}),
    });
    await expect(run).rejects.toThrow(new RegExp(`locked by a running grpo run \\(pid ${process.ppid}`));
    expect(existsSync(lock)).toBe(true);
    expect(readdirSync(outDir)).toEqual(["grpo.lock"]);
  });

  it("refuses a folder holding a KD/SFT run's checkpoints (with or without resume), touching none of its files", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "grpo-other-run-"));
    dirs.push(outDir);
    const ckpt = path.join(outDir, "checkpoints", "step-00000004");
    mkdirSync(path.join(ckpt, "adapter"), { recursive: true });
    writeFileSync(path.join(ckpt, "trainer_state.json"), '{"step":4}\n');
    const metrics = '{"step":1,"loss":2}\n{"step":2,"loss":1.5}\n';
    writeFileSync(path.join(outDir, "metrics.jsonl"), metrics);
    // It was taken for a fresh start: metrics.jsonl emptied, the distill checkpoint pruned by the first save.
    for (const resume of [false, true])
      await expect(
        runGrpo({
          modelDir: tinyRef,
          problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
          outDir,
          config: resolveGrpoConfig({
            steps: 1,
            groupSize: 2,
            problemsPerStep: 1,
            sampling: { maxNewTokens: 2 },
          }),
          resume,
          backend: "wasm",
          progress: false,
          log: () => {},
        }),
      ).rejects.toThrow(
        `${ckpt}: a checkpoint without grpo_state.json (it holds adapter, trainer_state.json)`,
      );
    expect(readFileSync(path.join(outDir, "metrics.jsonl"), "utf8")).toBe(metrics);
    expect(readdirSync(path.join(outDir, "checkpoints"))).toEqual(["step-00000004"]);
  });

  it("refuses an output path that is a file, or lies under one, in a sentence, and leaves the file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "grpo-file-out-"));
    dirs.push(dir);
    const file = path.join(dir, "notes.txt");
    writeFileSync(file, "mine\n");
    const run = (outDir: string) =>
      runGrpo({
        modelDir: path.join(dir, "no-model"), // never read: the output is checked first
        problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
        outDir,
        config: resolveGrpoConfig({}),
      });
    // It said "EEXIST: file already exists, mkdir ...".
    await expect(run(file)).rejects.toThrow(`output folder ${file} exists and is not a folder`);
    await expect(run(path.join(file, "out"))).rejects.toThrow(`(${file} is a file, not a folder)`);
    expect(readFileSync(file, "utf8")).toBe("mine\n");
  });

  it("refuses a finished run whose checkpoints were removed, and a KD/SFT run's metrics, leaving them", async () => {
    const tiny = resolveGrpoConfig({
      steps: 1,
      groupSize: 2,
      problemsPerStep: 1,
      sampling: { maxNewTokens: 2 },
    });
    const run = (outDir: string) =>
      runGrpo({
        modelDir: tinyRef,
        problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
        outDir,
        config: tiny,
        backend: "wasm",
        progress: false,
        log: () => {},
      });
    const finished = mkdtempSync(path.join(tmpdir(), "grpo-finished-"));
    dirs.push(finished);
    mkdirSync(path.join(finished, "adapter"));
    const rounds = '{"step":1,"rewardMean":0.5}\n';
    writeFileSync(path.join(finished, "metrics.jsonl"), rounds);
    // Taken for a fresh start, it emptied metrics.jsonl and wrote adapter/ anew.
    await expect(run(finished)).rejects.toThrow(
      `${finished} holds a finished run's adapter/ but no checkpoint to resume`,
    );
    expect(readFileSync(path.join(finished, "metrics.jsonl"), "utf8")).toBe(rounds);

    const kd = mkdtempSync(path.join(tmpdir(), "grpo-kd-metrics-"));
    dirs.push(kd);
    const steps = '{"step":1,"loss":2,"tokensPerSec":10}\n';
    writeFileSync(path.join(kd, "metrics.jsonl"), steps);
    await expect(run(kd)).rejects.toThrow(
      `${path.join(kd, "metrics.jsonl")}:1: a record without "rewardMean": another kind of run's metrics`,
    );
    expect(readFileSync(path.join(kd, "metrics.jsonl"), "utf8")).toBe(steps);
  });

  it("a failure after the claim (no model) releases it and leaves no folder the claim created", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "grpo-no-model-"));
    dirs.push(dir);
    const run = (outDir: string) =>
      runGrpo({
        modelDir: path.join(dir, "no-model"),
        problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
        outDir,
        config: resolveGrpoConfig({}),
        backend: "wasm",
        log: () => {},
      });
    const fresh = path.join(dir, "out");
    await expect(run(fresh)).rejects.toThrow(/no-model/);
    expect(existsSync(fresh)).toBe(false); // it left an empty folder behind
    await expect(run(dir)).rejects.toThrow(/no-model/);
    expect(readdirSync(dir)).toEqual([]); // the folder that was there is kept, its lock gone
  });

  it("two runs at once on one folder in one process: the second is refused by the lock", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "grpo-twice-"));
    dirs.push(outDir);
    const run = () =>
      runGrpo({
        modelDir: path.join(outDir, "no-model"), // the first fails loading it, after the second was refused
        problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
        outDir,
        config: resolveGrpoConfig({}),
        backend: "wasm",
        log: () => {},
      });
    const [first, second] = await Promise.allSettled([run(), run()]);
    expect(first.status === "rejected" && String(first.reason)).not.toMatch(/locked/);
    expect(second.status === "rejected" && String(second.reason)).toBe(
      `LockError: ${outDir}: locked by another grpo run in this process (${path.join(outDir, "grpo.lock")}); wait for it to finish, or use another output`,
    );
    expect(existsSync(path.join(outDir, "grpo.lock"))).toBe(false); // released by the first
  });
});
