/**
 * runTraining with chatTemplateKwargs on a Qwen3-style template: they change the student's prompts (another
 * adapter than without), are recorded in the checkpoints' config, and a run stopped and resumed — with them in
 * another key order, or without them — ends where the uninterrupted run does; a resume with others is refused
 * before the model loads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ChatTemplateKwargs, loadTokenizer } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterTensors } from "../test/adapter-tensors.js";
import { maxAbsDiff } from "../test/fixture.js";
import { QWEN3_STYLE_TEMPLATE } from "../test/qwen3-style-template.js";
import { buildSyntheticKd, loadBase, type SyntheticKd } from "../test/synthetic.js";
import { disposeDecoder } from "./model.js";
import { loadSftExamples } from "./pairs-data.js";
import { type RunTrainingOptions, runTraining } from "./run-training.js";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";
import { resolveTrainConfig } from "./train-config.js";
import { train } from "./trainer.js";

let dir: string;
let data: SyntheticKd;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-kwargs-resume-"));
  data = await buildSyntheticKd(dir, { embedScale: 4, examples: 4, replyLength: 6 });
  const file = path.join(data.modelDir, "tokenizer_config.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  config.chat_template = QWEN3_STYLE_TEMPLATE;
  writeFileSync(file, JSON.stringify(config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KWARGS = { enable_thinking: false, style: "brief" };

const trainConfig = (kwargs: ChatTemplateKwargs | undefined) =>
  resolveTrainConfig({
    mode: "sft",
    promptMode: "chat",
    epochs: 3,
    batchSize: 2,
    lora: { r: 4, alpha: 4 },
    optimizer: { lr: 1e-2 },
    checkpointEvery: 0,
    ...(kwargs ? { chatTemplateKwargs: kwargs } : {}),
  });

// SFT on the pairs' replies with chat prompts: 4 examples in batches of 2, 3 epochs, 6 steps.
const run = (out: string, kwargs: ChatTemplateKwargs | undefined, extra: Partial<RunTrainingOptions> = {}) =>
  runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    outDir: path.join(dir, out),
    config: trainConfig(kwargs),
    backend: "wasm",
    progress: false,
    log: () => {},
    ...extra,
  });

/** The config of the newest checkpoint in `out`. */
function savedConfig(out: string): Record<string, unknown> {
  const checkpoints = path.join(dir, out, "checkpoints");
  const newest = readdirSync(checkpoints).sort().at(-1) as string;
  return JSON.parse(readFileSync(path.join(checkpoints, newest, TRAINER_STATE_FILE), "utf8")).config;
}

async function stopAtStep2(out: string): Promise<void> {
  const stop = new AbortController();
  const stopped = await run(out, KWARGS, {
    signal: stop.signal,
    onStep: (m) => m.step === 2 && stop.abort(),
  });
  expect(stopped.interrupted).toBe(true);
  expect(savedConfig(out).chatTemplateKwargs).toEqual(KWARGS);
}

async function expectSameAdapter(a: string, b: string): Promise<void> {
  const [x, y] = [
    await adapterTensors(path.join(dir, a, "adapter")),
    await adapterTensors(path.join(dir, b, "adapter")),
  ];
  for (const [name, values] of x) expect(maxAbsDiff(values, y.get(name) as Float32Array), name).toBe(0);
}

describe("a run with chat template kwargs", () => {
  it("trains on other prompts than without them, and a resume ends where the uninterrupted run does", async () => {
    await run("straight", KWARGS);
    await run("without", undefined);
    const [x, y] = [
      await adapterTensors(path.join(dir, "straight", "adapter")),
      await adapterTensors(path.join(dir, "without", "adapter")),
    ];
    const moved = [...x].some(([name, values]) => maxAbsDiff(values, y.get(name) as Float32Array) > 0);
    expect(moved).toBe(true);
    expect("chatTemplateKwargs" in savedConfig("without")).toBe(false);

    // Resumed with the same kwargs in another key order.
    await stopAtStep2("reordered");
    const reordered = await run("reordered", { style: "brief", enable_thinking: false }, { resume: true });
    expect(reordered).toMatchObject({ interrupted: false, resumedFrom: 2 });
    await expectSameAdapter("straight", "reordered");

    // Resumed without them: the checkpoint's are rendered, and recorded again.
    await stopAtStep2("absent");
    const absent = await run("absent", undefined, { resume: true });
    expect(absent).toMatchObject({ interrupted: false, resumedFrom: 2 });
    expect(savedConfig("absent").chatTemplateKwargs).toEqual(KWARGS);
    await expectSameAdapter("straight", "absent");
  }, 240_000);

  it("resumed through train() without them (the caller rendered the prompts) keeps recording the checkpoint's", async () => {
    await stopAtStep2("direct");
    const tokenizer = await loadTokenizer(data.modelDir);
    const examples = await loadSftExamples(data.pairsFile, tokenizer, "chat", undefined, {
      chatTemplateKwargs: KWARGS,
    });
    const model = await loadBase(data.modelDir);
    try {
      const config = trainConfig(undefined);
      const result = await train({
        model,
        examples,
        config,
        outDir: path.join(dir, "direct"),
        resume: true,
        progress: false,
        log: () => {},
      });
      expect(result).toMatchObject({ interrupted: false, resumedFrom: 2 });
    } finally {
      disposeDecoder(model);
    }
    expect(savedConfig("direct").chatTemplateKwargs).toEqual(KWARGS);
  }, 120_000);

  it("refuses a resume with other kwargs, naming the checkpoint and both values", async () => {
    await stopAtStep2("other");
    await expect(run("other", { enable_thinking: true }, { resume: true })).rejects.toThrow(
      'chatTemplateKwargs: {"enable_thinking":false,"style":"brief"} -> {"enable_thinking":true}',
    );
  }, 120_000);

  it("refuses a resume given {} (none, said explicitly) through runTraining and train(), and records nothing for a fresh {}", async () => {
    // `{}` used to be read as "not given" and the recorded kwargs kept, where rollout and eval refuse it.
    await stopAtStep2("empty");
    const checkpoints = path.join(dir, "empty", "checkpoints");
    const before = readdirSync(checkpoints);
    const file = path.join(checkpoints, before.sort().at(-1) as string, TRAINER_STATE_FILE);
    const refusal = `${file}: saved with other settings or inputs than now (chatTemplateKwargs: {"enable_thinking":false,"style":"brief"} -> {} (none)`;
    await expect(run("empty", {}, { resume: true })).rejects.toThrow(refusal);
    const tokenizer = await loadTokenizer(data.modelDir);
    const examples = await loadSftExamples(data.pairsFile, tokenizer, "chat", undefined, {});
    const model = await loadBase(data.modelDir);
    try {
      const direct = (out: string, resume: boolean) =>
        train({
          model,
          examples,
          config: resolveTrainConfig({ ...trainConfig(undefined), chatTemplateKwargs: {} }),
          outDir: path.join(dir, out),
          resume,
          progress: false,
          log: () => {},
        });
      await expect(direct("empty", true)).rejects.toThrow(refusal);
      expect(readdirSync(checkpoints)).toEqual(before);
      expect(savedConfig("empty").chatTemplateKwargs).toEqual(KWARGS);
      // A fresh run given `{}` saves the config a run without kwargs saves.
      await direct("fresh-empty", false);
    } finally {
      disposeDecoder(model);
    }
    expect(JSON.stringify(savedConfig("fresh-empty"))).toBe(JSON.stringify(savedConfig("without")));
  }, 120_000);

  it("warns through log about a kwarg the template never reads only when asked (the CLI asks)", async () => {
    const lines: string[] = [];
    // One step is enough: the warning comes before training.
    const oneStep = (): Partial<RunTrainingOptions> => {
      const stop = new AbortController();
      return { signal: stop.signal, onStep: () => stop.abort(), log: (line) => lines.push(line) };
    };
    await run("quiet", { enable_thinkng: false }, oneStep());
    expect(lines.join("\n")).not.toContain("never reads");
    await run("warned", { enable_thinkng: false }, { ...oneStep(), warnUnusedChatTemplateKwargs: true });
    expect(lines.filter((line) => line.includes('never reads "enable_thinkng"'))).toHaveLength(1);
  }, 120_000);
});
