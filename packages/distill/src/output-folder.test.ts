/**
 * runTraining's output folder: an empty path, a path that is a file or lies under one, two runs on one folder at
 * once.
 */
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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSyntheticKd, loadBase, type SyntheticKd } from "../test/synthetic.js";
import { disposeDecoder } from "./model.js";
import { type RunTrainingOptions, runTraining } from "./run-training.js";
import { resolveTrainConfig } from "./train-config.js";
import { train } from "./trainer.js";

let dir: string;
let data: SyntheticKd;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-out-"));
  data = await buildSyntheticKd(dir, { embedScale: 4 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (outDir: string, extra: Partial<RunTrainingOptions> = {}) =>
  runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    logitsDir: data.logitsDir,
    outDir,
    config: resolveTrainConfig({ promptMode: "raw", epochs: 1, batchSize: 4, lora: { r: 2, alpha: 2 } }),
    backend: "wasm",
    progress: false,
    log: () => {},
    ...extra,
  });

describe("runTraining's output folder", () => {
  it("a path that is a file, or lies under one, is refused in a sentence before the model is read", async () => {
    const file = path.join(dir, "notes.txt");
    writeFileSync(file, "mine\n");
    // A model folder that does not exist: the output is checked first (it said EEXIST ... mkdir, after loading).
    const noModel = { modelDir: path.join(dir, "no-model") };
    await expect(run(file, noModel)).rejects.toThrow(
      `output folder ${file} exists and is not a folder; give a folder path`,
    );
    await expect(run(path.join(file, "out"), noModel)).rejects.toThrow(
      `cannot create output folder ${path.join(file, "out")} (${file} is a file, not a folder)`,
    );
    expect(readFileSync(file, "utf8")).toBe("mine\n");
  });

  it("an empty path is refused before anything is read or written (it trained into the current folder)", async () => {
    const noModel = { modelDir: path.join(dir, "no-model") };
    const cwd = readdirSync(process.cwd());
    const refusal = `outDir is empty: give the output folder's path (an empty one trains into the current folder, ${process.cwd()})`;
    await expect(run("", noModel)).rejects.toThrow(refusal);
    const model = await loadBase(data.modelDir);
    try {
      const config = resolveTrainConfig({ promptMode: "raw", epochs: 1, lora: { r: 2, alpha: 2 } });
      await expect(train({ model, examples: [], config, outDir: "", log: () => {} })).rejects.toThrow(
        refusal,
      );
    } finally {
      disposeDecoder(model);
    }
    expect(readdirSync(process.cwd())).toEqual(cwd);
  });

  it("a folder whose model/ is the base model is refused as such, not taken for a finished run's (to be removed)", async () => {
    // The README's layout: model/ beside the data, and the output given as the folder holding them.
    const out = path.join(dir, "layout");
    const modelDir = path.join(out, "model");
    mkdirSync(modelDir, { recursive: true });
    for (const name of readdirSync(data.modelDir))
      writeFileSync(path.join(modelDir, name), readFileSync(path.join(data.modelDir, name)));
    const before = readdirSync(out);
    for (const resume of [false, true])
      await expect(run(out, { modelDir, resume })).rejects.toThrow(
        `${modelDir} is the base model this run reads (modelDir ${modelDir}), and a run in ${out} writes its model/ there: use another output folder`,
      );
    await expect(run(`${out}/`, { modelDir: path.relative(process.cwd(), modelDir) })).rejects.toThrow(
      "is the base model this run reads",
    );
    expect(readdirSync(out)).toEqual(before);
  });

  it("a folder another live run holds is refused before the model is read, its lock left", async () => {
    const out = path.join(dir, "held");
    mkdirSync(out);
    const lock = path.join(out, "train.lock");
    writeFileSync(lock, String(process.ppid)); // a live process that is not this one
    // A model folder that does not exist: the claim comes first (it was taken only after the model and the
    // data were loaded, minutes on a real model).
    await expect(run(out, { modelDir: path.join(dir, "no-model") })).rejects.toThrow(
      `${out}: locked by a running distill run (pid ${process.ppid}, ${lock})`,
    );
    expect(readFileSync(lock, "utf8")).toBe(String(process.ppid));
    expect(readdirSync(out)).toEqual(["train.lock"]);
  });

  it("a failure after the claim (no model) releases it, and leaves no folder the claim created", async () => {
    const noModel = { modelDir: path.join(dir, "no-model") };
    const fresh = path.join(dir, "never-made");
    await expect(run(fresh, noModel)).rejects.toThrow(/no-model/);
    expect(existsSync(fresh)).toBe(false);
    const mine = path.join(dir, "existing");
    mkdirSync(mine);
    await expect(run(mine, noModel)).rejects.toThrow(/no-model/);
    expect(readdirSync(mine)).toEqual([]); // kept (it was there before), lock released
    await expect(run(mine)).resolves.toMatchObject({ steps: 2, interrupted: false });
  });

  it("checkpoints without resume, or a resume with other settings or inputs, are refused before the model is read", async () => {
    const out = path.join(dir, "resumable");
    await run(out);
    const noModel = { modelDir: path.join(dir, "no-model") };
    await expect(run(out, noModel)).rejects.toThrow(`${out} already holds checkpoints`);
    const other = resolveTrainConfig({
      promptMode: "raw",
      epochs: 1,
      batchSize: 4,
      lora: { r: 4, alpha: 2 },
    });
    await expect(run(out, { ...noModel, config: other, resume: true })).rejects.toThrow(
      /saved with other settings or inputs than now \(lora\.r: 2 -> 4\); refusing to resume/,
    );
    // Another model and data file: their fingerprints are compared before the model is loaded (a damaged
    // weights file is never read; it used to fail loading, or train minutes, before this was said).
    const model = path.join(dir, "other-model");
    mkdirSync(model);
    for (const name of readdirSync(data.modelDir))
      writeFileSync(path.join(model, name), readFileSync(path.join(data.modelDir, name)));
    writeFileSync(path.join(model, "model.safetensors"), "not a safetensors file");
    const pairs = path.join(dir, "other-pairs.jsonl");
    writeFileSync(pairs, `${readFileSync(data.pairsFile, "utf8")}\n`);
    await expect(run(out, { modelDir: model, dataFile: pairs, resume: true })).rejects.toThrow(
      "(model: another file than the checkpoint's; data: another file than the checkpoint's); refusing to resume",
    );
    expect(existsSync(path.join(out, "train.lock"))).toBe(false);
  });

  it("two runs at once on one folder in one process: the second is refused, the first finishes", async () => {
    const out = path.join(dir, "twice");
    const results = await Promise.allSettled([run(out), run(out)]);
    const refused = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    expect(refused).toEqual([
      `LockError: ${out}: locked by another distill run in this process (${path.join(out, "train.lock")}); wait for it to finish, or use another output`,
    ]);
    expect(readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(readdirSync(out).sort()).toEqual(["adapter", "checkpoints", "loss.svg", "metrics.jsonl"]);
  });

  it("a finished run whose checkpoints were removed, or another kind of run's metrics, is not trained over", async () => {
    const out = path.join(dir, "finished");
    await run(out);
    rmSync(path.join(out, "checkpoints"), { recursive: true }); // to free the disk, say
    const metrics = readFileSync(path.join(out, "metrics.jsonl"), "utf8");
    // Taken for a fresh start, it emptied metrics.jsonl and wrote adapter/ anew.
    for (const resume of [false, true])
      await expect(run(out, { resume })).rejects.toThrow(
        `${out} holds a finished run's adapter/ but no checkpoint to resume; use another output folder, or remove adapter/`,
      );
    expect(readFileSync(path.join(out, "metrics.jsonl"), "utf8")).toBe(metrics);

    // A GRPO run killed before its first checkpoint: its metrics only.
    const grpo = path.join(dir, "grpo-metrics");
    mkdirSync(grpo);
    const lines = '{"step":1,"rewardMean":0.5}\n';
    writeFileSync(path.join(grpo, "metrics.jsonl"), lines);
    await expect(run(grpo)).rejects.toThrow(
      `${path.join(grpo, "metrics.jsonl")}:1: a record without "tokensPerSec": another kind of run's metrics`,
    );
    expect(readFileSync(path.join(grpo, "metrics.jsonl"), "utf8")).toBe(lines);

    // This kind's own metrics, from a run killed before its first checkpoint (last line torn): redone.
    const killed = path.join(dir, "killed-early");
    mkdirSync(killed);
    writeFileSync(path.join(killed, "metrics.jsonl"), `${metrics.split("\n")[0]}\n{"step":2,"ep`);
    await expect(run(killed)).resolves.toMatchObject({ steps: 2, interrupted: false });
    expect(readFileSync(path.join(killed, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
  });
});
