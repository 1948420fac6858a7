/**
 * The paper setup cannot run here (no Qwen2.5-3B-Instruct weights), but its config and data preparation are
 * checked: prepare-data.mjs writes the GSM8K-train and MATH500 problem files, and ssb.yaml passes the CLI's
 * validation (and @ssb/distill's, for the distill section), with the paper's settings.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deepMerge, loadConfig, parseConfigText } from "@ssb/cli";
import { resolveTrainConfig, type TrainConfigInput } from "@ssb/distill";
import { afterAll, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(path.join(os.tmpdir(), "ssb-paper-data-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("prepare-data.mjs writes {id, question, answer} files from the repository's data", () => {
  execFileSync(process.execPath, [path.join(here, "prepare-data.mjs"), out]);
  const read = (name: string) =>
    readFileSync(path.join(out, name), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; question: string; answer: string });
  const train = read("gsm8k-train.jsonl");
  const math = read("math500.jsonl");
  expect(train).toHaveLength(7473);
  expect(math).toHaveLength(500);
  expect(train[0]).toMatchObject({ id: "gsm8k-train-0", answer: "72" });
  for (const p of [...train, ...math]) expect(p.question.length * p.answer.length).toBeGreaterThan(0);
});

it("ssb.yaml validates with the paper's settings", () => {
  const { config } = loadConfig(path.join(here, "ssb.yaml"));
  // Paths in a config resolve against the config file.
  expect(config.model).toBe(path.join(here, "models", "Qwen2.5-3B-Instruct"));
  expect(config.rollout).toMatchObject({ samples: 4, temperature: 0.8, topK: 50 });
  expect(config.curation.teacher.temperature).toBe(0.4);
  expect(config.curation.logitK).toBe(20);
  const train = resolveTrainConfig(config.distill as TrainConfigInput, "ssb.yaml");
  expect(train.lora).toMatchObject({ r: 32, alpha: 32 });
  expect(train.lora.targetModules).toEqual([
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
  ]);
  expect(train.loss).toMatchObject({
    divergence: "forward-kl",
    temperature: 2,
    scaleByTemperatureSquared: true,
  });
  expect(train.optimizer.lr).toBe(2e-4);
  // The paper's batch of 4, as one sequence per micro-batch with 4 accumulated (a 3B step at batch 4 would
  // need four times the memory).
  expect(train.batchSize * train.gradAccumSteps).toBe(4);
  expect(train.batchSize).toBe(1);
  expect(train.epochs).toBe(3);
  expect(train.maxSteps).toBe((256 * 3) / 4);
  // ssb run's default is 2 workers, and worker threads always run wasm, whose 4 GiB heap cannot hold a 3B model.
  expect(train.workers).toBe(1);
});

const cli = path.join(here, "..", "node_modules", "@ssb", "cli", "dist", "cli.js");

it("distill-256.yaml is ssb.yaml's distill section without maxSteps, and ssb distill accepts it", () => {
  const { config } = loadConfig(path.join(here, "ssb.yaml"));
  const file = path.join(here, "distill-256.yaml");
  // As `ssb distill --config` reads it: over ssb run's default distill section.
  const fromFile = parseConfigText(readFileSync(file, "utf8"), file);
  const distill256 = resolveTrainConfig(
    deepMerge(loadConfig().config.distill, fromFile) as TrainConfigInput,
    file,
  );
  const inRun = resolveTrainConfig(config.distill as TrainConfigInput, "ssb.yaml");
  expect(distill256).toEqual({ ...inRun, maxSteps: 0 });
  // The command gets past its settings (a bad setting fails first) to the missing input files.
  const run = (configFile: string) =>
    spawnSync(process.execPath, [
      cli,
      "distill",
      "--config",
      configFile,
      "--model",
      path.join(out, "no-model"),
      "--pairs",
      path.join(out, "no-pairs.jsonl"),
      "--logits",
      path.join(out, "no-logits"),
      "--out",
      path.join(out, "student"),
    ]);
  const ok = run(file);
  expect(ok.stderr.toString()).toContain("no-pairs.jsonl: no such file");
  const bad = path.join(out, "bad.yaml");
  writeFileSync(bad, readFileSync(file, "utf8").replace("epochs: 3", "epochs: 0"));
  expect(run(bad).stderr.toString()).toContain('field "epochs"');
});
