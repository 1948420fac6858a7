/**
 * The paper setup cannot run here (no Qwen2.5-3B-Instruct weights), but its config and data preparation are
 * checked: prepare-data.mjs writes the GSM8K-train and MATH500 problem files, and ssb.yaml passes the CLI's
 * validation (and @ssb/distill's, for the distill section), with the paper's settings.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "@ssb/cli";
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
  expect(config.distill).toMatchObject({
    lora: { r: 32, alpha: 32 },
    loss: { temperature: 2 },
    batchSize: 4,
  });
});
