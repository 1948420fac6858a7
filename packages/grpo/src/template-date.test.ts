/**
 * The day a date-reading chat template renders (Llama 3.1/3.2-Instruct's "Today Date: ..."), end to end: a
 * GRPO run started on one day and resumed on another samples from the same prompt ids (the day is pinned in
 * the config its checkpoints save); a template that reads no date (the Qwen-style fixture) records nothing.
 * The model is the tiny reference with its template given a Llama-like date line.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadTokenizer } from "@ssb/model";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";
import { type GrpoConfigInput, resolveGrpoConfig, trajectoryDifferences } from "./grpo-config.js";
import type { GrpoProblem } from "./problems.js";
import type { GroupRewardFunction } from "./rewards.js";
import { runGrpo } from "./run-grpo.js";

let dir: string;
let dated: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-date-"));
  dated = path.join(dir, "dated-model");
  await mkdir(dated);
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"])
    copyFileSync(path.join(tinyRef, f), path.join(dated, f));
  const config = JSON.parse(readFileSync(path.join(tinyRef, "tokenizer_config.json"), "utf8"));
  config.chat_template = `{{ 'Today Date: ' + strftime_now('%d %b %Y') + '\\n' }}${config.chat_template}`;
  writeFileSync(path.join(dated, "tokenizer_config.json"), JSON.stringify(config));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

function clockAt(year: number, month: number, day: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(year, month - 1, day, 12));
}

const problems: GrpoProblem[] = [{ id: "a", question: "1+1?", answer: "2" }];
const settings: GrpoConfigInput = {
  steps: 2,
  maxSteps: 1,
  problemsPerStep: 1,
  groupSize: 2,
  checkpointEvery: 1,
  sampling: { maxNewTokens: 3 },
  lora: { r: 2, alpha: 4 },
};

/** One round of runGrpo; the prompt ids it sampled from. */
async function round(modelDir: string, out: string, resume: boolean, extra: GrpoConfigInput = {}) {
  const prompts: number[][] = [];
  const reward: GroupRewardFunction = (_p, completions) => {
    for (const c of completions) prompts.push(c.promptIds);
    return { rewards: completions.map((_, i) => i % 2), correct: completions.map(() => false) };
  };
  const logs: string[] = [];
  await runGrpo({
    modelDir,
    problems,
    outDir: out,
    config: resolveGrpoConfig({ ...settings, ...extra }),
    resume,
    reward,
    rewardId: "alternating",
    backend: "wasm",
    progress: false,
    log: (line) => logs.push(line),
  });
  return { prompts, logs };
}

const savedConfig = (out: string, step: number): Record<string, unknown> =>
  JSON.parse(
    readFileSync(
      path.join(out, "checkpoints", `step-${String(step).padStart(8, "0")}`, GRPO_STATE_FILE),
      "utf8",
    ),
  ).config;

describe("GRPO and a chat template that writes today's date", () => {
  it("pins the first day; a resume on another day samples from the same prompt ids", async () => {
    const out = path.join(dir, "run");
    clockAt(2026, 11, 28);
    const first = await round(dated, out, false);
    expect(savedConfig(out, 1).templateDate).toBe("2026-11-28");
    clockAt(2026, 11, 30);
    const second = await round(dated, out, true);
    expect(savedConfig(out, 2).templateDate).toBe("2026-11-28");
    expect(first.prompts[0]).toBeDefined();
    expect(second.prompts[0]).toEqual(first.prompts[0]);
    // The day rendered on the second day is the first day's (unpinned, it was "30 Nov 2026").
    const tokenizer = await loadTokenizer(dated);
    expect(tokenizer.decode(second.prompts[0] ?? [])).toContain("Today Date: 28 Nov 2026\n");
  }, 120_000);

  it("a resume given another day than the recorded one is refused, naming both", async () => {
    const out = path.join(dir, "run-other");
    clockAt(2026, 11, 28);
    await round(dated, out, false);
    await expect(round(dated, out, true, { templateDate: "2026-11-29" })).rejects.toThrow(
      'templateDate: "2026-11-28" -> "2026-11-29"',
    );
  }, 120_000);
});

describe("GRPO and a template that reads no date (Qwen)", () => {
  it("records no templateDate: the saved config is as before", async () => {
    const out = path.join(dir, "run-qwen");
    clockAt(2026, 11, 28);
    await round(tinyRef, out, false);
    expect("templateDate" in savedConfig(out, 1)).toBe(false);
  }, 120_000);

  it("a checkpoint without a recorded day resumes with one pinned (it is no changed setting)", () => {
    const old = resolveGrpoConfig(settings);
    expect(trajectoryDifferences(old, { ...old, templateDate: "2026-11-30" })).toEqual([]);
    expect(trajectoryDifferences({ ...old, templateDate: "2026-11-28" }, old)).toEqual([]);
    expect(() => resolveGrpoConfig({ templateDate: "28 Nov 2026" })).toThrow('"templateDate"');
  });
});
