/**
 * Flags of `ssb-grpo train` and `eval` checked by what reaches runGrpo and evaluatePolicy (both replaced here, so
 * no model is loaded): `--answer-rules` (runGrpo's config, evaluatePolicy's reward scheme, the errors naming the
 * flag or the field) and `eval --system-prompt TEXT` / `--no-system-prompt` (a run trained with a custom
 * systemPrompt, the README's R1-Zero recipe, could not be evaluated on it from the CLI), with the prompts
 * sampleGroups renders for each choice.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UsageError } from "@ssb/cli-kit";
import { MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import { parseTemplateDate } from "@ssb/model";
import type { Generator, PromptInput } from "@ssb/rollout";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import type { EvaluatePolicyOptions, PolicyEvaluation } from "./evaluate-policy.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";
import type { RunGrpoOptions } from "./run-grpo.js";
import { sampleGroups } from "./sample-groups.js";

const calls = vi.hoisted(() => ({ train: [] as unknown[], eval: [] as unknown[] }));
vi.mock("./run-grpo.js", () => ({
  runGrpo: async (options: unknown) => {
    calls.train.push(options);
    return { steps: 0, totalSteps: 0, resumedFrom: null, adapterDir: "a", metricsFile: "m", metrics: [] };
  },
}));
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
let out: string;
const write = process.stdout.write.bind(process.stdout);
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "grpo-answer-rules-"));
  problems = path.join(dir, "problems.jsonl");
  out = path.join(dir, "out");
  await writeFile(problems, '{"id":"a","question":"6 * 7?","answer":"42"}\n');
  // The commands' summary lines stay out of the test output.
  process.stdout.write = (() => true) as typeof process.stdout.write;
});
afterAll(async () => {
  process.stdout.write = write;
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  calls.train.length = 0;
  calls.eval.length = 0;
});

const train = (...args: string[]): Promise<number> =>
  runCli(["train", "--model", tinyRef, "--problems", problems, "--out", out, ...args]);
const evaluate = (...args: string[]): Promise<number> =>
  runCli(["eval", "--model", tinyRef, "--problems", problems, "--n", "1", "--no-progress", ...args]);
const trained = (): RunGrpoOptions["config"] => (calls.train[0] as RunGrpoOptions).config;
const evaluated = (): EvaluatePolicyOptions => calls.eval[0] as EvaluatePolicyOptions;
const R1 = "Think in <think> </think> tags, then give the final answer in <answer> </answer> tags.";

describe("--answer-rules", () => {
  it("train: the flag sets reward.rules, over a config file's; without either the config has none (boxed only)", async () => {
    expect(await train("--answer-rules", "boxed,answer-tag")).toBe(0);
    expect(trained().reward).toEqual({ correct: 1, wrong: 0, noAnswer: 0, rules: ["boxed", "answer-tag"] });
    const config = path.join(dir, "grpo.json");
    await writeFile(config, JSON.stringify({ reward: { noAnswer: -0.5, rules: ["answer-tag"] } }));
    calls.train.length = 0;
    expect(await train("--config", config)).toBe(0);
    expect(trained().reward).toEqual({ correct: 1, wrong: 0, noAnswer: -0.5, rules: ["answer-tag"] });
    calls.train.length = 0;
    expect(await train("--config", config, "--answer-rules", "boxed")).toBe(0);
    // The default, left out: the run records what one without the setting does.
    expect(trained().reward).toEqual({ correct: 1, wrong: 0, noAnswer: -0.5 });
    calls.train.length = 0;
    expect(await train()).toBe(0);
    expect(trained().reward).toEqual({ correct: 1, wrong: 0, noAnswer: 0 });
  });

  it("eval: the flag's rules grade the samples; without it, the default scheme (boxed only)", async () => {
    expect(await evaluate("--answer-rules", "boxed,answer-tag")).toBe(0);
    expect(evaluated().rewardScheme).toEqual({
      correct: 1,
      wrong: 0,
      noAnswer: 0,
      rules: ["boxed", "answer-tag"],
    });
    calls.eval.length = 0;
    expect(await evaluate()).toBe(0);
    expect(evaluated().rewardScheme).toBeUndefined();
  });

  it("a bad rule is a usage error naming the flag and the field, for train and eval, before anything runs", async () => {
    const message =
      /^--answer-rules \(the config's reward\.rules\): unknown rule "anwser-tag", did you mean "answer-tag"\? \(valid rules: boxed, gsm8k, final-answer, answer-is, dollar, answer-tag, last-number\)$/;
    for (const run of [train, evaluate]) {
      const result = run("--answer-rules", "boxed,anwser-tag");
      await expect(result).rejects.toThrow(UsageError);
      await expect(result).rejects.toThrow(message);
    }
    for (const rules of ["", "boxed,"])
      for (const run of [train, evaluate])
        await expect(run("--answer-rules", rules)).rejects.toThrow(
          /^--answer-rules \(the config's reward\.rules\): empty rule name \(a stray comma\?\); valid rules: /,
        );
    expect(calls).toEqual({ train: [], eval: [] });
  });

  it("a bad reward.rules in --set or --config names where it came from and the field", async () => {
    await expect(train("--set", 'reward.rules=["boxd"]')).rejects.toThrow(
      '--set: GRPO config: "reward.rules": unknown rule "boxd", did you mean "boxed"? (valid rules: ',
    );
    const config = path.join(dir, "bad.json");
    await writeFile(config, JSON.stringify({ reward: { rules: "boxed" } }));
    await expect(train("--config", config)).rejects.toThrow(
      `${config}: GRPO config: "reward.rules" must be a non-empty list of extraction rules`,
    );
    expect(calls.train).toEqual([]);
  });
});

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

describe("ssb-grpo train without a system turn", () => {
  it("--set systemPrompt=false and --no-system-prompt are systemPrompt false; --system-prompt TEXT overrides the config's", async () => {
    expect(await train("--set", "systemPrompt=false")).toBe(0);
    expect(trained().systemPrompt).toBe(false);
    calls.train.length = 0;
    expect(await train("--no-system-prompt")).toBe(0);
    expect(trained().systemPrompt).toBe(false);
    calls.train.length = 0;
    expect(await train("--set", "systemPrompt=false", "--system-prompt", R1)).toBe(0);
    expect(trained().systemPrompt).toBe(R1);
    calls.train.length = 0;
    expect(await train()).toBe(0);
    expect(trained().systemPrompt).toBeNull();
  });

  it("both flags together are a usage error; a bad value names --set and the field", async () => {
    await expect(train("--system-prompt", R1, "--no-system-prompt")).rejects.toThrow(UsageError);
    await expect(train("--set", "systemPrompt=true")).rejects.toThrow(
      '--set: GRPO config: "systemPrompt" must be a string, null (the math-tutor prompt) or false (no system turn), found true',
    );
    expect(calls.train).toEqual([]);
  });
});

describe("ssb-grpo train --chat-template-kwargs '{}'", () => {
  it("reaches runGrpo as {} (an explicit none a resume compares), as a config file's {} does; no flag leaves it unset", async () => {
    expect(await train("--chat-template-kwargs", "{}")).toBe(0);
    expect(trained().chatTemplateKwargs).toEqual({});
    const config = path.join(dir, "empty-kwargs.json");
    await writeFile(config, JSON.stringify({ chatTemplateKwargs: {} }));
    calls.train.length = 0;
    expect(await train("--config", config)).toBe(0);
    expect(trained().chatTemplateKwargs).toEqual({});
    calls.train.length = 0;
    expect(await train()).toBe(0);
    expect("chatTemplateKwargs" in trained()).toBe(false);
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

describe("ssb-grpo eval --adapter reads the run's settings", () => {
  /** A run folder as runGrpo writes it: adapter/ and checkpoints/step-N/{adapter/, grpo_state.json}. */
  const fakeRun = async (name: string, config: unknown): Promise<string> => {
    const run = path.join(dir, name);
    const checkpoint = path.join(run, "checkpoints", "step-00000002");
    await cp(path.join(tinyRef, "lora"), path.join(run, "adapter"), { recursive: true });
    await mkdir(checkpoint, { recursive: true });
    await writeFile(path.join(checkpoint, GRPO_STATE_FILE), JSON.stringify({ step: 2, config }));
    return run;
  };
  const stderr = async (run: () => Promise<number>): Promise<string[]> => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk).trimEnd());
      return true;
    });
    try {
      expect(await run()).toBe(0);
    } finally {
      spy.mockRestore();
    }
    return lines;
  };
  const r1 = {
    systemPrompt: R1,
    templateDate: "2026-11-29",
    chatTemplateKwargs: { enable_thinking: false },
    reward: { correct: 1, wrong: 0, noAnswer: 0, rules: ["boxed", "answer-tag"] },
  };

  it("an R1-Zero run's adapter is evaluated on its prompt, day, kwargs and rules, said on stderr", async () => {
    const run = await fakeRun("r1", r1);
    const state = path.join(run, "checkpoints", "step-00000002", GRPO_STATE_FILE);
    const lines = await stderr(() => evaluate("--adapter", path.join(run, "adapter")));
    expect(evaluated()).toMatchObject({
      adapterDir: path.join(run, "adapter"),
      systemPrompt: R1,
      now: parseTemplateDate("2026-11-29", "test"),
      chatTemplateKwargs: { enable_thinking: false },
      rewardScheme: { correct: 1, wrong: 0, noAnswer: 0, rules: ["boxed", "answer-tag"] },
    });
    expect(lines).toEqual([
      `ssb-grpo: eval settings from the run (${state}): system prompt: ${JSON.stringify(R1)}; answer rules: boxed,answer-tag; chat template kwargs: {"enable_thinking":false}; template day: 2026-11-29`,
    ]);
  });

  it("a flag overrides the run's value, with a note naming both; one equal to it is silent", async () => {
    const run = await fakeRun("r1-flags", r1);
    const state = path.join(run, "checkpoints", "step-00000002", GRPO_STATE_FILE);
    const lines = await stderr(() =>
      evaluate(
        "--adapter",
        path.join(run, "adapter"),
        "--no-system-prompt",
        "--answer-rules",
        "boxed,answer-tag",
        "--chat-template-kwargs",
        "{}",
      ),
    );
    expect(evaluated()).toMatchObject({
      systemPrompt: false,
      chatTemplateKwargs: {},
      rewardScheme: { rules: ["boxed", "answer-tag"] },
      now: parseTemplateDate("2026-11-29", "test"),
    });
    expect(lines).toEqual([
      `ssb-grpo: eval settings from the run (${state}): template day: 2026-11-29`,
      `ssb-grpo: note: evaluating with --no-system-prompt (no system turn), where the run trained with systemPrompt ${JSON.stringify(R1)} (${state})`,
      `ssb-grpo: note: evaluating with --chat-template-kwargs (none), where the run trained with chatTemplateKwargs {"enable_thinking":false} (${state})`,
    ]);
  });

  it("a run that trained without a system turn (systemPrompt false) is evaluated without one", async () => {
    const run = await fakeRun("no-system", { systemPrompt: false });
    await stderr(() => evaluate("--adapter", path.join(run, "adapter")));
    expect(evaluated().systemPrompt).toBe(false);
  });

  it("a run with its own reward values: meanReward on its scale, with the rules the flag gives", async () => {
    const shaped = { ...r1, reward: { correct: 2, wrong: -0.5, noAnswer: -1 } };
    const run = await fakeRun("shaped", shaped);
    const lines = await stderr(() =>
      evaluate("--adapter", path.join(run, "adapter"), "--answer-rules", "boxed,answer-tag"),
    );
    // 1 / 0 / 0 before: the mean reward was not the one the run's metrics report.
    expect(evaluated().rewardScheme).toEqual({
      correct: 2,
      wrong: -0.5,
      noAnswer: -1,
      rules: ["boxed", "answer-tag"],
    });
    expect(lines[0]).toMatch(/; rewards: correct 2, wrong -0\.5, noAnswer -1;/);
  });

  it("an adapter without a run keeps the defaults and prints nothing", async () => {
    const lines = await stderr(() => evaluate("--adapter", path.join(tinyRef, "lora")));
    expect(lines).toEqual([]);
    const options = evaluated();
    for (const key of ["systemPrompt", "now", "chatTemplateKwargs", "rewardScheme"] as const)
      expect(options[key]).toBeUndefined();
  });

  it("a GRPO run whose checkpoints were removed: the defaults, with a note that nothing recorded its settings", async () => {
    const run = path.join(dir, "no-checkpoints");
    await cp(path.join(tinyRef, "lora"), path.join(run, "adapter"), { recursive: true });
    await writeFile(path.join(run, "metrics.jsonl"), '{"step":1,"rewardMean":0.5}\n');
    const lines = await stderr(() => evaluate("--adapter", path.join(run, "adapter")));
    expect(lines).toEqual([
      `ssb-grpo: note: ${run} is a GRPO run without a checkpoint (checkpoints/step-N/grpo_state.json) to read its systemPrompt, templateDate, chatTemplateKwargs and reward.rules from; evaluating with the flags and defaults`,
    ]);
    expect(evaluated().systemPrompt).toBeUndefined();
    // A KD/SFT run's metrics (no rewardMean): a distill adapter, nothing to say.
    await writeFile(path.join(run, "metrics.jsonl"), '{"step":1,"loss":0.5}\n');
    expect(await stderr(() => evaluate("--adapter", path.join(run, "adapter")))).toEqual([]);
  });

  it("a damaged record is an error naming the file and the field, before anything runs", async () => {
    const run = await fakeRun("bad", { reward: { rules: ["anwser-tag"] } });
    await expect(evaluate("--adapter", path.join(run, "adapter"))).rejects.toThrow(
      `${path.join(run, "checkpoints", "step-00000002", GRPO_STATE_FILE)}: "config.reward.rules": unknown rule "anwser-tag"`,
    );
    expect(calls.eval).toEqual([]);
  });
});
