/**
 * runTraining on a model whose chat template writes today's date (as Llama 3.1/3.2-Instruct's does): a run
 * stopped on one day and resumed on another ends where an uninterrupted run of the first day does, because the
 * resume renders the day the run pinned (recorded in its checkpoints' config), not the new day.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { adapterTensors } from "../test/adapter-tensors.js";
import { maxAbsDiff } from "../test/fixture.js";
import { buildSyntheticKd, type SyntheticKd } from "../test/synthetic.js";
import { type RunTrainingOptions, runTraining } from "./run-training.js";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";
import { resolveTrainConfig } from "./train-config.js";

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

function clockAt(year: number, month: number, day: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(year, month - 1, day, 12));
}

// SFT on the pairs' replies with chat prompts: 4 examples in batches of 2, 3 epochs, 6 steps.
const run = (out: string, extra: Partial<RunTrainingOptions> = {}) =>
  runTraining({
    modelDir: data.modelDir,
    dataFile: data.pairsFile,
    outDir: path.join(dir, out),
    config: resolveTrainConfig({
      mode: "sft",
      promptMode: "chat",
      epochs: 3,
      batchSize: 2,
      lora: { r: 4, alpha: 4 },
      optimizer: { lr: 1e-2 },
      checkpointEvery: 0,
    }),
    backend: "wasm",
    progress: false,
    log: () => {},
    ...extra,
  });

describe("a run stopped on one day and resumed on another", () => {
  it("renders the first day's prompts: it ends where the uninterrupted run of that day does", async () => {
    clockAt(2026, 11, 28);
    await run("straight");
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
    const [a, b] = [
      await adapterTensors(path.join(dir, "straight", "adapter")),
      await adapterTensors(path.join(dir, "stopped", "adapter")),
    ];
    for (const [name, values] of a) expect(maxAbsDiff(values, b.get(name) as Float32Array), name).toBe(0);
  }, 120_000);
});
