/**
 * readRunEvalSettings: the settings `ssb-grpo eval --adapter` takes from the GRPO run an adapter belongs to (its
 * final adapter, or a checkpoint's), none for an adapter without a run, and a damaged record named by file and
 * field; evalSettingsFromRun: flags over the run's values, each override that differs said with both values.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alternatingRewards, tinyRef } from "../test/fixtures.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import { evalSettingsFromRun, type RunEvalSettings, readRunEvalSettings } from "./run-eval-settings.js";
import { runGrpo } from "./run-grpo.js";

const R1 = "Think in <think> </think> tags, then give the final answer in <answer> </answer> tags.";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "grpo-eval-settings-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run folder as runGrpo lays it out: adapter/ and checkpoints/step-N/{adapter/, grpo_state.json}. */
function fakeRun(name: string, states: Record<number, unknown>): string {
  const run = path.join(dir, name);
  cpSync(path.join(tinyRef, "lora"), path.join(run, "adapter"), { recursive: true });
  for (const [step, state] of Object.entries(states)) {
    const checkpoint = path.join(run, "checkpoints", `step-${String(step).padStart(8, "0")}`);
    cpSync(path.join(tinyRef, "lora"), path.join(checkpoint, "adapter"), { recursive: true });
    writeFileSync(
      path.join(checkpoint, GRPO_STATE_FILE),
      typeof state === "string" ? state : JSON.stringify(state),
    );
  }
  return run;
}

describe("readRunEvalSettings", () => {
  it("reads what a real run recorded, from its final adapter and from a checkpoint's", async () => {
    const out = path.join(dir, "real");
    const result = await runGrpo({
      modelDir: tinyRef,
      problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
      outDir: out,
      config: resolveGrpoConfig({
        steps: 1,
        groupSize: 2,
        problemsPerStep: 1,
        sampling: { maxNewTokens: 2 },
        lora: { r: 2, alpha: 2 },
        systemPrompt: R1,
        reward: { rules: ["boxed", "answer-tag"], noAnswer: -0.5 },
        chatTemplateKwargs: { enable_thinking: false },
      }),
      reward: alternatingRewards,
      rewardId: "alternating",
      backend: "wasm",
      progress: false,
      log: () => {},
    });
    const state = path.join(out, "checkpoints", "step-00000001", GRPO_STATE_FILE);
    const expected: RunEvalSettings = {
      file: state,
      systemPrompt: R1,
      chatTemplateKwargs: { enable_thinking: false },
      rules: ["boxed", "answer-tag"],
      rewardValues: { correct: 1, wrong: 0, noAnswer: -0.5 },
    };
    expect(await readRunEvalSettings(result.adapterDir)).toEqual(expected);
    expect(await readRunEvalSettings(path.join(out, "checkpoints", "step-00000001", "adapter"))).toEqual(
      expected,
    );
  }, 120_000);

  it("the final adapter takes the newest checkpoint's; defaults where the run recorded none", async () => {
    const config = { systemPrompt: null, reward: { correct: 1, wrong: 0, noAnswer: 0 } };
    const run = fakeRun("two", {
      5: { step: 5, config: { ...config, systemPrompt: "older" } },
      10: { step: 10, config: { ...config, templateDate: "2026-11-29" } },
    });
    expect(await readRunEvalSettings(path.join(run, "adapter"))).toEqual({
      file: path.join(run, "checkpoints", "step-00000010", GRPO_STATE_FILE),
      systemPrompt: null,
      templateDate: "2026-11-29",
      rules: ["boxed"],
      rewardValues: { correct: 1, wrong: 0, noAnswer: 0 },
    });
  });

  it("an adapter without a GRPO run (a bare PEFT folder, a KD/SFT run's) has none", async () => {
    expect(await readRunEvalSettings(path.join(tinyRef, "lora"))).toBeNull();
    const kd = path.join(dir, "kd");
    mkdirSync(path.join(kd, "checkpoints", "step-00000004"), { recursive: true });
    writeFileSync(path.join(kd, "checkpoints", "step-00000004", "trainer_state.json"), "{}");
    cpSync(path.join(tinyRef, "lora"), path.join(kd, "adapter"), { recursive: true });
    expect(await readRunEvalSettings(path.join(kd, "adapter"))).toBeNull();
  });

  it("a damaged record is an error naming the file and the field", async () => {
    const cases: [unknown, string][] = [
      ["{not json", "not valid JSON"],
      [{ step: 1 }, '"config" must be an object'],
      [{ config: { systemPrompt: 42 } }, '"config.systemPrompt" must be a string, null or false, found 42'],
      [{ config: { templateDate: "2026-13-45" } }, '"config.templateDate": expected a date as YYYY-MM-DD'],
      [{ config: { chatTemplateKwargs: "no" } }, '"config.chatTemplateKwargs": chat template kwargs must be'],
      [{ config: { reward: { rules: ["boxd"] } } }, '"config.reward.rules": unknown rule "boxd"'],
      [{ config: { reward: "boxed" } }, '"config.reward" must be an object'],
      [{ config: { reward: { wrong: "-1" } } }, '"config.reward.wrong" must be a finite number, found "-1"'],
    ];
    for (const [i, [state, message]] of cases.entries()) {
      const run = fakeRun(`bad-${i}`, { 1: state });
      const file = path.join(run, "checkpoints", "step-00000001", GRPO_STATE_FILE);
      const read = readRunEvalSettings(path.join(run, "adapter"));
      await expect(read).rejects.toThrow(file);
      await expect(read).rejects.toThrow(message);
    }
  });
});

describe("evalSettingsFromRun", () => {
  const run: RunEvalSettings = {
    file: "runs/r1/checkpoints/step-00000040/grpo_state.json",
    systemPrompt: R1,
    templateDate: "2026-11-29",
    chatTemplateKwargs: { enable_thinking: false },
    rules: ["boxed", "answer-tag"],
    rewardValues: { correct: 1, wrong: 0, noAnswer: 0 },
  };

  it("takes every setting the flags leave out, in one line naming the file", () => {
    expect(evalSettingsFromRun(run, {})).toEqual({
      systemPrompt: R1,
      templateDate: "2026-11-29",
      chatTemplateKwargs: { enable_thinking: false },
      rules: ["boxed", "answer-tag"],
      lines: [
        `ssb-grpo: eval settings from the run (${run.file}): system prompt: ${JSON.stringify(R1)}; answer rules: boxed,answer-tag; chat template kwargs: {"enable_thinking":false}; template day: 2026-11-29`,
      ],
    });
  });

  it("a flag wins; one that differs from the run's value is a note naming both, one that agrees is silent", () => {
    const resolved = evalSettingsFromRun(run, {
      systemPrompt: false,
      templateDate: "2026-11-30",
      chatTemplateKwargs: {},
      rules: ["boxed", "answer-tag"],
    });
    expect(resolved).toEqual({
      systemPrompt: false,
      templateDate: "2026-11-30",
      chatTemplateKwargs: {},
      rules: ["boxed", "answer-tag"],
      lines: [
        `ssb-grpo: note: evaluating with --no-system-prompt (no system turn), where the run trained with systemPrompt ${JSON.stringify(R1)} (${run.file})`,
        `ssb-grpo: note: evaluating with --chat-template-kwargs (none), where the run trained with chatTemplateKwargs {"enable_thinking":false} (${run.file})`,
        `ssb-grpo: note: evaluating with --template-date 2026-11-30, where the run trained with templateDate 2026-11-29 (${run.file})`,
      ],
    });
  });

  it("a run with the defaults: nothing to pass on (evaluatePolicy's defaults are the run's), said all the same", () => {
    const plain: RunEvalSettings = {
      file: "f",
      systemPrompt: null,
      rules: ["boxed"],
      rewardValues: { correct: 1, wrong: 0, noAnswer: 0 },
    };
    expect(evalSettingsFromRun(plain, {})).toEqual({
      lines: [
        "ssb-grpo: eval settings from the run (f): system prompt: the math-tutor prompt; answer rules: boxed; chat template kwargs: (none)",
      ],
    });
    const notes = evalSettingsFromRun(plain, { systemPrompt: R1, rules: ["answer-tag"] }).lines;
    expect(notes).toEqual([
      "ssb-grpo: eval settings from the run (f): chat template kwargs: (none)",
      `ssb-grpo: note: evaluating with --system-prompt ${JSON.stringify(R1)}, where the run trained with systemPrompt null (the math-tutor prompt) (f)`,
      "ssb-grpo: note: evaluating with --answer-rules answer-tag, where the run trained with reward.rules boxed (f)",
    ]);
  });

  it("a run with its own reward values: meanReward on its scale (no flag overrides them)", () => {
    const shaped = { ...run, rewardValues: { correct: 1, wrong: -0.5, noAnswer: -1 } };
    const resolved = evalSettingsFromRun(shaped, { systemPrompt: R1 });
    expect(resolved.rewardValues).toEqual({ correct: 1, wrong: -0.5, noAnswer: -1 });
    expect(resolved.lines[0]).toMatch(/; rewards: correct 1, wrong -0\.5, noAnswer -1(;|$)/);
    expect(evalSettingsFromRun(run, {}).rewardValues).toBeUndefined();
  });

  it("no run: the flags alone, no lines", () => {
    expect(evalSettingsFromRun(null, { rules: ["answer-tag"] })).toEqual({
      rules: ["answer-tag"],
      lines: [],
    });
  });
});
