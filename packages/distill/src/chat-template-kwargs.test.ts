/**
 * chatTemplateKwargs on the student's prompts: a Qwen3-style template (its generation prompt gets the empty
 * think block when `enable_thinking` is false) renders them in chat prompts and SFT chat records; they are
 * recorded in the run's config only when non-empty, a resume without them keeps the checkpoint's, one with the
 * same ones in another key order goes on, one with others (or any, on a checkpoint saved without; or `{}`, on
 * one saved with some) is refused.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTokenizer, type ModelTokenizer } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR } from "../test/fixture.js";
import { writeOnePairFile } from "../test/prompt-settings.js";
import { QWEN3_STYLE_TEMPLATE } from "../test/qwen3-style-template.js";
import { chatTemplateKwargsConflict, chooseChatTemplateKwargs } from "./chat-template-kwargs.js";
import { checkpointDirName } from "./checkpoint-files.js";
import { loadPairExamples, loadSftExamples } from "./pairs-data.js";
import { runPromptSettings, unusedKwargsWarning } from "./run-training.js";
import { TRAINER_STATE_FILE, type TrainerState } from "./train-checkpoint.js";
import { resolveTrainConfig, type TrainConfig } from "./train-config.js";
import { checkRunFolder } from "./trainer.js";

let tokenizer: ModelTokenizer;
let dir: string;
let pairs: string;
beforeAll(() => {
  const read = (name: string): unknown => JSON.parse(readFileSync(path.join(FIXTURE_DIR, name), "utf8"));
  tokenizer = createTokenizer(read("tokenizer.json"), read("tokenizer_config.json"), {
    chatTemplate: QWEN3_STYLE_TEMPLATE,
  });
  dir = mkdtempSync(path.join(tmpdir(), "distill-kwargs-"));
  pairs = writeOnePairFile(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NO_THINKING = { enable_thinking: false };
/** The prompt's turns, before the generation prompt. */
const BEFORE = "<|im_start|>system\nSolve it.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n";

const state = (config: TrainConfig): TrainerState => ({
  step: 2,
  totalSteps: 4,
  epoch: 0,
  config,
  savedAt: "2026-11-29T12:00:00.000Z",
});

async function promptText(settings: ReturnType<typeof runPromptSettings>): Promise<string> {
  const [example] = await loadPairExamples(pairs, { tokenizer, promptMode: "chat", ...settings.tokens });
  if (example === undefined) throw new Error("no example");
  // The prompt: the ids before the first trained row's target (the reply follows it).
  return tokenizer.decode(Array.from(example.inputIds.subarray(0, example.firstRow + 1)));
}

describe("the student's chat prompts", () => {
  it('with {"enable_thinking": false} end with the empty think block; without, at the assistant turn', async () => {
    const plain = await promptText(runPromptSettings(resolveTrainConfig({}), tokenizer, null, "x"));
    const kwargs = runPromptSettings(
      resolveTrainConfig({ chatTemplateKwargs: NO_THINKING }),
      tokenizer,
      null,
      "x",
    );
    expect(kwargs.config.chatTemplateKwargs).toEqual(NO_THINKING);
    const text = await promptText(kwargs);
    expect(plain).toBe(`${BEFORE}<|im_start|>assistant\n`);
    expect(text).toBe(`${BEFORE}<|im_start|>assistant\n<think>\n\n</think>\n\n`);
    expect(text).not.toBe(plain);
  });

  it("SFT chat records render them too; raw prompts do not go through the template", async () => {
    const settings = runPromptSettings(
      resolveTrainConfig({ mode: "sft", chatTemplateKwargs: NO_THINKING }),
      tokenizer,
      null,
      "x",
    );
    const [sft] = await loadSftExamples(pairs, tokenizer, "chat", undefined, settings.tokens);
    expect(tokenizer.decode(Array.from(sft?.inputIds ?? []))).toContain("</think>");
    const raw = runPromptSettings(
      resolveTrainConfig({ promptMode: "raw", chatTemplateKwargs: NO_THINKING }),
      tokenizer,
      null,
      "x",
    );
    expect(raw.tokens.chatTemplateKwargs).toBeUndefined();
    expect(raw.config.chatTemplateKwargs).toEqual(NO_THINKING);
  });
});

describe("the config", () => {
  it("records nothing without kwargs or with {}: the config is the one given, as before", () => {
    const config = resolveTrainConfig({ mode: "sft" });
    const settings = runPromptSettings(config, tokenizer, null, "x");
    expect(settings.config).toBe(config);
    expect(settings.tokens).toEqual({});
    expect(JSON.stringify(settings.config)).toBe(JSON.stringify(resolveTrainConfig({ mode: "sft" })));
    // `{}` is kept through resolveTrainConfig (an explicit none, refused on a resume of recorded kwargs), and a
    // fresh run renders and records what a run without kwargs does.
    const empty = resolveTrainConfig({ mode: "sft", chatTemplateKwargs: {} });
    expect(empty.chatTemplateKwargs).toEqual({});
    const fresh = runPromptSettings(empty, tokenizer, null, "x");
    expect(JSON.stringify(fresh.config)).toBe(JSON.stringify(config));
    expect(fresh.tokens).toEqual({});
  });

  it("refuses a field that is not an object of JSON values, or sets the renderer's names, naming the file and field", () => {
    expect(() => resolveTrainConfig({ chatTemplateKwargs: "enable_thinking" } as never, "run.json")).toThrow(
      'run.json: field "chatTemplateKwargs": chat template kwargs must be a JSON object',
    );
    expect(() => resolveTrainConfig({ chatTemplateKwargs: { messages: [] } } as never, "run.json")).toThrow(
      'run.json: field "chatTemplateKwargs": chat template kwarg "messages" is set by the renderer',
    );
  });
});

describe("a resume", () => {
  const recorded = resolveTrainConfig({ chatTemplateKwargs: { enable_thinking: false, style: "brief" } });

  it("with the same kwargs in another key order goes on; without any keeps the checkpoint's", async () => {
    const reordered = runPromptSettings(
      resolveTrainConfig({ chatTemplateKwargs: { style: "brief", enable_thinking: false } }),
      tokenizer,
      { dir: "ck", state: state(recorded) },
      "x",
    );
    const fresh = runPromptSettings(recorded, tokenizer, null, "x");
    expect(await promptText(reordered)).toBe(await promptText(fresh));
    const absent = runPromptSettings(
      resolveTrainConfig({}),
      tokenizer,
      { dir: "ck", state: state(recorded) },
      "x",
    );
    expect(absent.config.chatTemplateKwargs).toEqual(recorded.chatTemplateKwargs);
    expect(await promptText(absent)).toBe(await promptText(fresh));
  });

  it("with other kwargs is refused naming the checkpoint's file, both values and what to do", () => {
    const other = resolveTrainConfig({ chatTemplateKwargs: { enable_thinking: true } });
    expect(() =>
      runPromptSettings(other, tokenizer, { dir: path.join("runs", "a", "ck"), state: state(recorded) }, "x"),
    ).toThrow(
      `${path.join("runs", "a", "ck", TRAINER_STATE_FILE)}: saved with other settings than now (chatTemplateKwargs: {"enable_thinking":false,"style":"brief"} -> {"enable_thinking":true}, but the run's prompts rendered with {"enable_thinking":false,"style":"brief"} so far: resume without chatTemplateKwargs (--chat-template-kwargs) to keep them, or train into another output folder); refusing to resume`,
    );
  });

  it("of a checkpoint saved without kwargs (an old one) keeps none, and refuses some", () => {
    const old = resolveTrainConfig({});
    const kept = runPromptSettings(old, tokenizer, { dir: "ck", state: state(old) }, "x");
    expect("chatTemplateKwargs" in kept.config).toBe(false);
    expect(() =>
      chooseChatTemplateKwargs({ given: NO_THINKING, resumed: { dir: "ck", kwargs: undefined } }),
    ).toThrow('chatTemplateKwargs: (none) -> {"enable_thinking":false}');
    expect(chatTemplateKwargsConflict(NO_THINKING, undefined)).toBeNull();
    expect(chatTemplateKwargsConflict(undefined, {})).toBeNull();
  });

  it("given {} where kwargs were recorded is refused (an explicit none differs from the record), as rollout and eval refuse it", () => {
    // It used to keep the recorded kwargs silently, as if none had been given.
    const empty = resolveTrainConfig({ chatTemplateKwargs: {} });
    expect(() =>
      runPromptSettings(empty, tokenizer, { dir: path.join("runs", "a", "ck"), state: state(recorded) }, "x"),
    ).toThrow(
      `${path.join("runs", "a", "ck", TRAINER_STATE_FILE)}: saved with other settings than now (chatTemplateKwargs: {"enable_thinking":false,"style":"brief"} -> {} (none), but the run's prompts rendered with {"enable_thinking":false,"style":"brief"} so far: resume without chatTemplateKwargs (--chat-template-kwargs) to keep them, or train into another output folder); refusing to resume`,
    );
    // On a checkpoint that recorded none, `{}` is the same prompts: it goes on, recording nothing.
    const old = resolveTrainConfig({});
    const kept = runPromptSettings(empty, tokenizer, { dir: "ck", state: state(old) }, "x");
    expect(JSON.stringify(kept.config)).toBe(JSON.stringify(old));
    expect(kept.tokens).toEqual({});
  });

  describe("the folder check before the model loads", () => {
    function runFolder(config: TrainConfig): string {
      const out = mkdtempSync(path.join(dir, "run-"));
      const ck = path.join(out, "checkpoints", checkpointDirName(2));
      mkdirSync(ck, { recursive: true });
      writeFileSync(path.join(ck, TRAINER_STATE_FILE), JSON.stringify(state(config)));
      return out;
    }

    it("takes the same kwargs reordered, or none; refuses others, naming both", async () => {
      const out = runFolder(recorded);
      const same = resolveTrainConfig({ chatTemplateKwargs: { style: "brief", enable_thinking: false } });
      await expect(checkRunFolder(out, true, same, null, undefined)).resolves.not.toBeNull();
      await expect(
        checkRunFolder(out, true, resolveTrainConfig({}), null, undefined),
      ).resolves.not.toBeNull();
      // `{}` against recorded kwargs, refused before the model loads too.
      await expect(
        checkRunFolder(out, true, resolveTrainConfig({ chatTemplateKwargs: {} }), null, undefined),
      ).rejects.toThrow(
        `${path.join(out, "checkpoints", checkpointDirName(2), TRAINER_STATE_FILE)}: saved with other settings or inputs than now (chatTemplateKwargs: {"enable_thinking":false,"style":"brief"} -> {} (none)`,
      );
      const other = resolveTrainConfig({ chatTemplateKwargs: NO_THINKING });
      // The file that holds the recorded kwargs, as runPromptSettings names it (was the checkpoint's folder).
      const file = path.join(out, "checkpoints", checkpointDirName(2), TRAINER_STATE_FILE);
      await expect(checkRunFolder(out, true, other, null, undefined)).rejects.toThrow(
        `${file}: saved with other settings or inputs than now (chatTemplateKwargs: {"enable_thinking":false,"style":"brief"} -> {"enable_thinking":false}`,
      );
      const old = runFolder(resolveTrainConfig({}));
      await expect(checkRunFolder(old, true, other, null, undefined)).rejects.toThrow(
        'chatTemplateKwargs: (none) -> {"enable_thinking":false}',
      );
      await expect(
        checkRunFolder(old, true, resolveTrainConfig({ chatTemplateKwargs: {} }), null, undefined),
      ).resolves.not.toBeNull();
    });
  });
});

describe("the warning the CLI logs", () => {
  it("names a kwarg the template never reads (a misspelling), and kwargs on raw prompts; nothing otherwise", () => {
    const misspelt = resolveTrainConfig({ chatTemplateKwargs: { enable_thinkng: false } });
    expect(unusedKwargsWarning(misspelt, tokenizer, "models/q3")).toBe(
      `warning: models/q3's chat template never reads "enable_thinkng" (chatTemplateKwargs): this model's template has no such variable, so it changes no prompt; check the spelling of "enable_thinkng" (Qwen3's is "enable_thinking")`,
    );
    // Qwen3's own name on a template without it is spelt right: no spelling hint (it used to point at itself).
    const read = (name: string): unknown => JSON.parse(readFileSync(path.join(FIXTURE_DIR, name), "utf8"));
    const plain = createTokenizer(read("tokenizer.json"), read("tokenizer_config.json"), {
      chatTemplate:
        "{%- for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ 'assistant: ' }}{%- endif %}",
    });
    expect(
      unusedKwargsWarning(resolveTrainConfig({ chatTemplateKwargs: NO_THINKING }), plain, "models/llama"),
    ).toBe(
      `warning: models/llama's chat template never reads "enable_thinking" (chatTemplateKwargs): this model's template has no such variable, so it changes no prompt`,
    );
    const both = resolveTrainConfig({ chatTemplateKwargs: { enable_thinking: false, stlye: "brief" } });
    expect(unusedKwargsWarning(both, plain, "m")).toBe(
      `warning: m's chat template never reads "enable_thinking", "stlye" (chatTemplateKwargs): this model's template has no such variables, so they change no prompt; check the spelling of "stlye"`,
    );
    const raw = resolveTrainConfig({ promptMode: "raw", chatTemplateKwargs: NO_THINKING });
    expect(unusedKwargsWarning(raw, tokenizer, "m")).toContain("raw prompts");
    expect(
      unusedKwargsWarning(resolveTrainConfig({ chatTemplateKwargs: NO_THINKING }), tokenizer, "m"),
    ).toBeNull();
    expect(unusedKwargsWarning(resolveTrainConfig({}), tokenizer, "m")).toBeNull();
    const emptyRaw = resolveTrainConfig({ promptMode: "raw", chatTemplateKwargs: {} });
    expect(unusedKwargsWarning(emptyRaw, tokenizer, "m")).toBeNull();
  });
});
