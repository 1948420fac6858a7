/**
 * `systemPrompt: false`: a GRPO run with no system turn (the question alone as the user turn), as evaluatePolicy's
 * false. It used to be refused ("a string or null"), so training could not drop the system turn that eval
 * could. Recorded in the checkpoint's config; a resume with another value is refused as other settings are.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import { loadTokenizer, type ModelTokenizer } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";
import { type GrpoConfig, resolveGrpoConfig } from "./grpo-config.js";
import type { GroupRewardFunction } from "./rewards.js";
import { runGrpo } from "./run-grpo.js";

let dir: string;
let tokenizer: ModelTokenizer;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "grpo-no-system-"));
  tokenizer = await loadTokenizer(tinyRef);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One round (of 3) with `systemPrompt`; the prompts it sampled from, decoded. */
async function round(
  out: string,
  systemPrompt: GrpoConfig["systemPrompt"],
  resume: boolean,
): Promise<string[]> {
  const prompts: string[] = [];
  const reward: GroupRewardFunction = (_p, completions) => {
    for (const c of completions) prompts.push(tokenizer.decode(c.promptIds));
    return { rewards: completions.map((_, i) => i % 2), correct: completions.map(() => false) };
  };
  await runGrpo({
    modelDir: tinyRef,
    problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
    outDir: out,
    config: resolveGrpoConfig({
      steps: 3,
      maxSteps: 1,
      groupSize: 2,
      problemsPerStep: 1,
      checkpointEvery: 1,
      sampling: { maxNewTokens: 2 },
      lora: { r: 2, alpha: 2 },
      systemPrompt,
    }),
    resume,
    reward,
    rewardId: "alternating",
    backend: "wasm",
    progress: false,
    log: () => {},
  });
  return prompts;
}

describe("GRPO without a system turn (systemPrompt false)", () => {
  it("renders the question alone, records false, and refuses a resume with another systemPrompt", async () => {
    const out = path.join(dir, "none");
    const prompts = await round(out, false, false);
    expect(prompts).toHaveLength(2);
    for (const prompt of prompts) {
      expect(prompt).not.toContain("system");
      expect(prompt).toContain("1 + 1?");
    }
    const state = path.join(out, "checkpoints", "step-00000001", GRPO_STATE_FILE);
    expect(JSON.parse(readFileSync(state, "utf8")).config.systemPrompt).toBe(false);
    await expect(round(out, null, true)).rejects.toThrow(
      /\(systemPrompt: false -> null\); refusing to resume/,
    );
    await expect(round(out, "Be brief.", true)).rejects.toThrow(/\(systemPrompt: false -> "Be brief\."\)/);
    expect(await round(out, false, true)).toEqual(prompts);
  }, 120_000);

  it("the default (null) still renders the math-tutor system turn", async () => {
    const prompts = await round(path.join(dir, "tutor"), null, false);
    expect(prompts[0]).toContain(MATH_TUTOR_SYSTEM_PROMPT);
  }, 120_000);

  it("the setting is checked, naming the field", () => {
    expect(resolveGrpoConfig({ systemPrompt: false }).systemPrompt).toBe(false);
    expect(() => resolveGrpoConfig({ systemPrompt: true as never })).toThrow(
      'GRPO config: "systemPrompt" must be a string, null (the math-tutor prompt) or false (no system turn), found true',
    );
  });
});
