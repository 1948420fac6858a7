/**
 * `ssb-grpo eval --system-prompt TEXT` / `--no-system-prompt`: what reaches evaluatePolicy (replaced here, so no
 * model is loaded), the usage error for both together, and the prompts sampleGroups renders for each choice. A
 * run trained with a custom systemPrompt (the README's R1-Zero recipe) could not be evaluated on it from the CLI.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UsageError } from "@ssb/cli-kit";
import { MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import type { Generator, PromptInput } from "@ssb/rollout";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import type { EvaluatePolicyOptions, PolicyEvaluation } from "./evaluate-policy.js";
import { sampleGroups } from "./sample-groups.js";

const calls = vi.hoisted(() => ({ eval: [] as unknown[] }));
vi.mock("./evaluate-policy.js", () => ({
  evaluatePolicy: async (options: unknown): Promise<PolicyEvaluation> => {
    calls.eval.push(options);
    return {
      meanReward: 0,
      accuracy: 0,
      correctPerProblem: [0],
      responseLengthMean: 0,
      truncatedFraction: 0,
      samples: 1,
      seconds: 0,
    };
  },
}));
const { runCli } = await import("./cli-main.js");

let dir: string;
let problems: string;
const write = process.stdout.write.bind(process.stdout);
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "grpo-system-prompt-"));
  problems = path.join(dir, "problems.jsonl");
  await writeFile(problems, '{"id":"a","question":"6 * 7?","answer":"42"}\n');
  process.stdout.write = (() => true) as typeof process.stdout.write;
});
afterAll(async () => {
  process.stdout.write = write;
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  calls.eval.length = 0;
});

const evaluate = (...args: string[]): Promise<number> =>
  runCli(["eval", "--model", tinyRef, "--problems", problems, "--n", "1", "--no-progress", ...args]);
const evaluated = (): EvaluatePolicyOptions => calls.eval[0] as EvaluatePolicyOptions;
const R1 = "Think in <think> </think> tags, then give the final answer in <answer> </answer> tags.";

describe("ssb-grpo eval --system-prompt / --no-system-prompt", () => {
  it("--system-prompt TEXT is evaluatePolicy's systemPrompt; --no-system-prompt is false; neither leaves it unset", async () => {
    expect(await evaluate("--system-prompt", R1)).toBe(0);
    expect(evaluated().systemPrompt).toBe(R1);
    calls.eval.length = 0;
    expect(await evaluate("--no-system-prompt")).toBe(0);
    expect(evaluated().systemPrompt).toBe(false);
    calls.eval.length = 0;
    expect(await evaluate()).toBe(0);
    expect(evaluated().systemPrompt).toBeUndefined();
  });

  it("both together are a usage error naming both, before anything runs", async () => {
    const result = evaluate("--system-prompt", R1, "--no-system-prompt");
    await expect(result).rejects.toThrow(UsageError);
    await expect(result).rejects.toThrow(/--system-prompt and --no-system-prompt are alternatives/);
    expect(calls.eval).toEqual([]);
  });

  it("the help names both flags", async () => {
    const { USAGE } = await import("./cli-main.js");
    expect(USAGE).toContain("[--system-prompt TEXT | --no-system-prompt]");
  });
});

describe("sampleGroups' systemPrompt", () => {
  const rendered = async (systemPrompt: string | null | false): Promise<PromptInput["messages"]> => {
    const prompts: PromptInput[] = [];
    const generator = {
      encodePrompt: (p: PromptInput) => {
        prompts.push(p);
        return [];
      },
      generate: async function* () {},
    } as unknown as Generator;
    const options = { groupSize: 1, temperature: 1, maxNewTokens: 1, topK: 0, topP: 1, seed: 0, maxBatch: 1 };
    await sampleGroups(generator, [{ id: "a", question: "6 * 7?", answer: "42" }], {
      ...options,
      systemPrompt,
    });
    return (prompts[0] as PromptInput).messages;
  };

  it("a string is the system turn, null the math-tutor prompt, false none (the question alone)", async () => {
    expect(await rendered(R1)).toEqual([
      { role: "system", content: R1 },
      { role: "user", content: "6 * 7?" },
    ]);
    expect(await rendered(null)).toEqual([
      { role: "system", content: MATH_TUTOR_SYSTEM_PROMPT },
      { role: "user", content: "6 * 7?" },
    ]);
    expect(await rendered(false)).toEqual([{ role: "user", content: "6 * 7?" }]);
  });
});
