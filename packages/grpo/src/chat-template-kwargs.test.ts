/**
 * Chat template kwargs (`chatTemplateKwargs`, e.g. Qwen3's `{"enable_thinking": false}`) through a GRPO run
 * and evaluatePolicy: every prompt is rendered with them, the config its checkpoints save records them, a
 * resume without them keeps them, one with the same ones in another key order goes on, one with other ones is
 * refused; a run without them records nothing. The model is the tiny reference with a Qwen3-style template.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type ChatTemplateKwargs, loadTokenizer, type ModelTokenizer } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMPTY_THINK_BLOCK, writeThinkingModel } from "../test/thinking-model.js";
import { evaluatePolicy } from "./evaluate-policy.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";
import {
  type GrpoConfigInput,
  resolveGrpoConfig,
  trajectoryDifferences,
  trajectoryKey,
} from "./grpo-config.js";
import type { GrpoProblem } from "./problems.js";
import type { GroupRewardFunction } from "./rewards.js";
import { runGrpo } from "./run-grpo.js";

let dir: string;
let model: string;
let tokenizer: ModelTokenizer;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-kwargs-"));
  model = await writeThinkingModel(path.join(dir, "thinking-model"));
  tokenizer = await loadTokenizer(model);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const problems: GrpoProblem[] = [{ id: "a", question: "1+1?", answer: "2" }];
const settings: GrpoConfigInput = {
  steps: 3,
  maxSteps: 1,
  problemsPerStep: 1,
  groupSize: 2,
  checkpointEvery: 1,
  sampling: { maxNewTokens: 3 },
  lora: { r: 2, alpha: 4 },
};
const noThinking: ChatTemplateKwargs = { enable_thinking: false, reasoning_effort: "low" };

/** One round of runGrpo; the prompts it sampled from (decoded) and its log. */
async function round(out: string, resume: boolean, kwargs?: ChatTemplateKwargs) {
  const prompts: string[] = [];
  const reward: GroupRewardFunction = (_p, completions) => {
    for (const c of completions) prompts.push(tokenizer.decode(c.promptIds));
    return { rewards: completions.map((_, i) => i % 2), correct: completions.map(() => false) };
  };
  const logs: string[] = [];
  await runGrpo({
    modelDir: model,
    problems,
    outDir: out,
    config: resolveGrpoConfig({ ...settings, ...(kwargs ? { chatTemplateKwargs: kwargs } : {}) }),
    resume,
    reward,
    rewardId: "alternating",
    backend: "wasm",
    progress: false,
    log: (line) => logs.push(line),
  });
  return { prompts, logs };
}

const stateFile = (out: string, step: number): string =>
  path.join(out, "checkpoints", `step-${String(step).padStart(8, "0")}`, GRPO_STATE_FILE);
const savedConfig = (out: string, step: number): Record<string, unknown> =>
  JSON.parse(readFileSync(stateFile(out, step), "utf8")).config;

describe("GRPO with chat template kwargs", () => {
  it("renders every prompt with them and records them; resumes keep them (without them, or reordered)", async () => {
    const out = path.join(dir, "run");
    const first = await round(out, false, noThinking);
    expect(first.prompts).toHaveLength(2);
    for (const prompt of first.prompts)
      expect(prompt.endsWith(`<|im_start|>assistant\n${EMPTY_THINK_BLOCK}`)).toBe(true);
    expect(savedConfig(out, 1).chatTemplateKwargs).toEqual(noThinking);

    // The same kwargs, keys in another order: the same run.
    const second = await round(out, true, { reasoning_effort: "low", enable_thinking: false });
    expect(second.prompts[0]).toBe(first.prompts[0]);
    // The recorded ones are kept as written: the saved config does not change with the key order given.
    expect(Object.keys(savedConfig(out, 2).chatTemplateKwargs as object)).toEqual([
      "enable_thinking",
      "reasoning_effort",
    ]);
    // None given: the recorded ones, said in the log.
    const third = await round(out, true);
    expect(third.prompts[0]).toBe(first.prompts[0]);
    expect(third.logs.join("\n")).toContain(
      'chat template kwargs {"enable_thinking":false,"reasoning_effort":"low"}, as the run began with',
    );
    expect(savedConfig(out, 3).chatTemplateKwargs).toEqual(noThinking);
  }, 180_000);

  it("a resume with other kwargs is refused, naming the state file, both values and what to do", async () => {
    const out = path.join(dir, "run-other");
    await round(out, false, { enable_thinking: false });
    const refusal = round(out, true, { enable_thinking: true });
    await expect(refusal).rejects.toThrow(
      'chatTemplateKwargs: {"enable_thinking":false} -> {"enable_thinking":true}',
    );
    await expect(round(out, true, { enable_thinking: true })).rejects.toThrow(
      `its chat template kwargs are recorded in ${stateFile(out, 1)}: resume without --chat-template-kwargs`,
    );
  }, 120_000);

  it("{} given on a resume is an explicit none: refused against recorded kwargs, as other ones are", async () => {
    const out = path.join(dir, "run-empty");
    await round(out, false, { enable_thinking: false });
    // It used to be taken for "not given", and the run went on with the recorded kwargs.
    await expect(round(out, true, {})).rejects.toThrow(
      `(chatTemplateKwargs: {"enable_thinking":false} -> (none)); refusing to resume; its chat template kwargs are recorded in ${stateFile(out, 1)}: resume without --chat-template-kwargs`,
    );
    // Not given at all: the recorded ones.
    expect((await round(out, true)).prompts[0]?.endsWith(EMPTY_THINK_BLOCK)).toBe(true);
  }, 120_000);

  it("{} on a fresh run records nothing, and its resume (with {} or without) goes on", async () => {
    const out = path.join(dir, "run-empty-fresh");
    await round(out, false, {});
    expect("chatTemplateKwargs" in savedConfig(out, 1)).toBe(false);
    await round(out, true, {});
    await round(out, true);
    expect("chatTemplateKwargs" in savedConfig(out, 3)).toBe(false);
  }, 120_000);

  it("without kwargs the prompt leaves the reply open and nothing is recorded; kwargs on its resume are refused", async () => {
    const out = path.join(dir, "run-none");
    const plain = await round(out, false);
    expect(plain.prompts[0]?.endsWith("<|im_start|>assistant\n")).toBe(true);
    expect("chatTemplateKwargs" in savedConfig(out, 1)).toBe(false);
    await expect(round(out, true, { enable_thinking: false })).rejects.toThrow(
      'chatTemplateKwargs: (none) -> {"enable_thinking":false}',
    );
  }, 120_000);

  it("evaluatePolicy renders its prompts with them", async () => {
    const prompts: string[] = [];
    const reward: GroupRewardFunction = (_p, completions) => {
      for (const c of completions) prompts.push(tokenizer.decode(c.promptIds));
      return { rewards: completions.map(() => 0), correct: completions.map(() => false) };
    };
    const evaluate = (chatTemplateKwargs?: ChatTemplateKwargs) =>
      evaluatePolicy({
        modelDir: model,
        adapterDir: null,
        problems,
        n: 1,
        seed: 0,
        sampling: { temperature: 1, maxNewTokens: 2, topK: 0, topP: 1 },
        reward,
        backend: "wasm",
        ...(chatTemplateKwargs ? { chatTemplateKwargs } : {}),
      });
    await evaluate({ enable_thinking: false });
    await evaluate();
    expect(prompts[0]?.endsWith(`assistant\n${EMPTY_THINK_BLOCK}`)).toBe(true);
    expect(prompts[1]?.endsWith("assistant\n")).toBe(true);
  }, 120_000);
});

describe("the chatTemplateKwargs setting", () => {
  it("is checked, naming the field; {} is kept (an explicit none) and keys no kwargs; its key order does not matter", () => {
    expect(() => resolveGrpoConfig({ chatTemplateKwargs: "no" as never })).toThrow(
      'GRPO config: "chatTemplateKwargs": chat template kwargs must be a JSON object',
    );
    expect(() => resolveGrpoConfig({ chatTemplateKwargs: { messages: [] } })).toThrow(
      '"messages" is set by the renderer',
    );
    expect(resolveGrpoConfig({ chatTemplateKwargs: {} }).chatTemplateKwargs).toEqual({});
    expect(trajectoryKey(resolveGrpoConfig({ chatTemplateKwargs: {} }))).toBe(
      trajectoryKey(resolveGrpoConfig()),
    );
    const a = resolveGrpoConfig({ chatTemplateKwargs: { a: 1, b: 2 } });
    const b = resolveGrpoConfig({ chatTemplateKwargs: { b: 2, a: 1 } });
    expect(trajectoryKey(a)).toBe(trajectoryKey(b));
    expect(trajectoryDifferences(a, b)).toEqual([]);
    // Not given now: the recorded ones are taken, no difference.
    expect(trajectoryDifferences(a, resolveGrpoConfig())).toEqual([]);
    // {} given: an explicit none, which differs from recorded kwargs and not from none recorded.
    expect(trajectoryDifferences(a, resolveGrpoConfig({ chatTemplateKwargs: {} }))).toEqual([
      'chatTemplateKwargs: {"a":1,"b":2} -> (none)',
    ]);
    expect(trajectoryDifferences(resolveGrpoConfig(), resolveGrpoConfig({ chatTemplateKwargs: {} }))).toEqual(
      [],
    );
  });
});
