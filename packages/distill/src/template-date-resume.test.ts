/**
 * runTraining on a model whose chat template writes today's date (as Llama 3.1/3.2-Instruct's does): a run
 * stopped on one day and resumed on another ends where an uninterrupted run of the first day does, because the
 * resume renders the day the run pinned (recorded in its checkpoints' config), not the new day. A resume
 * through train() given a config without the day keeps recording it, so a later resume renders it too.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadTokenizer, parseTemplateDate } from "@ssb/model";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { adapterTensors } from "../test/adapter-tensors.js";
import { maxAbsDiff } from "../test/fixture.js";
import { clockAt } from "../test/prompt-settings.js";
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
  dir = mkdtempSync(path.join(tmpdir(), "distill-date-resume-"));
  data = await buildSyntheticKd(dir, { embedScale: 4, examples: 4, replyLength: 6 });
  const file = path.join(data.modelDir, "tokenizer_config.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  config.chat_template = `{{ 'Today Date: ' + strftime_now('%d %b %Y') + '\\n' }}${config.chat_template}`;
  writeFileSync(file, JSON.stringify(config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.useRealTimers();
});

// SFT on the pairs' replies with chat prompts: 4 examples in batches of 2, 3 epochs, 6 steps.
const trainConfig = () =>
  resolveTrainConfig({
    mode: "sft",
    promptMode: "chat",
    epochs: 3,
    batchSize: 2,
    lora: { r: 4, alpha: 4 },
    optimizer: { lr: 1e-2 },
    checkpointEvery: 0,
  });
const run = (out: string, extra: Partial<RunTrainingOptions> = {}) =>
  runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    outDir: path.join(dir, out),
    config: trainConfig(),
    backend: "wasm",
    progress: false,
    log: () => {},
    ...extra,
  });

/** The uninterrupted run of 2026-11-28, in "straight" (run once, by whichever test needs it first). */
let straight: Promise<unknown> | null = null;
function runStraight(): Promise<unknown> {
  if (straight === null) {
    clockAt(2026, 11, 28);
    straight = run("straight").finally(() => vi.useRealTimers());
  }
  return straight;
}

/** The newest checkpoint's saved config in `out`, and its step. */
function newestState(out: string): { step: number; config: Record<string, unknown> } {
  const checkpoints = path.join(dir, out, "checkpoints");
  const newest = readdirSync(checkpoints).sort().at(-1) as string;
  return JSON.parse(readFileSync(path.join(checkpoints, newest, TRAINER_STATE_FILE), "utf8"));
}

async function expectSameAdapter(a: string, b: string): Promise<void> {
  const [x, y] = [
    await adapterTensors(path.join(dir, a, "adapter")),
    await adapterTensors(path.join(dir, b, "adapter")),
  ];
  for (const [name, values] of x) expect(maxAbsDiff(values, y.get(name) as Float32Array), name).toBe(0);
}

describe("a run stopped on one day and resumed on another", () => {
  it("renders the first day's prompts: it ends where the uninterrupted run of that day does", async () => {
    await runStraight();
    clockAt(2026, 11, 28);
    const stop = new AbortController();
    const stopped = await run("stopped", {
      signal: stop.signal,
      onStep: (m) => m.step === 2 && stop.abort(),
    });
    expect(stopped.interrupted).toBe(true);
    const checkpoints = path.join(dir, "stopped", "checkpoints");
    const [first] = readdirSync(checkpoints);
    const state = JSON.parse(
      readFileSync(path.join(checkpoints, first as string, TRAINER_STATE_FILE), "utf8"),
    );
    expect(state.config.templateDate).toBe("2026-11-28");

    clockAt(2026, 11, 30);
    const resumed = await run("stopped", { resume: true });
    expect(resumed).toMatchObject({ interrupted: false, resumedFrom: 2 });
    await expectSameAdapter("straight", "stopped");
  }, 120_000);

  it("resumed through train() with a config without the day, keeps recording it: a later resume renders it", async () => {
    await runStraight();
    clockAt(2026, 11, 28);
    const stop = new AbortController();
    await run("direct", { signal: stop.signal, onStep: (m) => m.step === 2 && stop.abort() });
    expect(newestState("direct").config.templateDate).toBe("2026-11-28");

    // The next day a caller of train() renders the pinned day's prompts itself, with a config that lacks it,
    // and stops at step 4.
    clockAt(2026, 11, 29);
    const tokenizer = await loadTokenizer(data.modelDir);
    const examples = await loadSftExamples(data.pairsFile, tokenizer, "chat", undefined, {
      now: parseTemplateDate("2026-11-28", "test"),
    });
    const model = await loadBase(data.modelDir);
    const again = new AbortController();
    try {
      const direct = await train({
        model,
        examples,
        config: trainConfig(),
        outDir: path.join(dir, "direct"),
        resume: true,
        signal: again.signal,
        onStep: (m) => m.step === 4 && again.abort(),
        progress: false,
        log: () => {},
      });
      expect(direct).toMatchObject({ interrupted: true, resumedFrom: 2, steps: 4 });
    } finally {
      disposeDecoder(model);
    }
    expect(newestState("direct")).toMatchObject({ step: 4, config: { templateDate: "2026-11-28" } });

    // Resumed through runTraining on a third day: the recorded day is rendered (no note, no new day).
    clockAt(2026, 11, 30);
    const lines: string[] = [];
    const resumed = await run("direct", { resume: true, log: (line) => lines.push(line) });
    expect(resumed).toMatchObject({ interrupted: false, resumedFrom: 4 });
    expect(lines.join("\n")).not.toContain("templateDate");
    expect(newestState("direct").config.templateDate).toBe("2026-11-28");
    await expectSameAdapter("straight", "direct");
  }, 180_000);
});
