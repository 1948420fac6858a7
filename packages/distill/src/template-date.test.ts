/**
 * The day a chat template writes (Llama 3.2-Instruct's "Today Date: ..."): a run pins it at its first start, a
 * resume on another day renders the same prompt ids; a template that reads no date (the Qwen-style fixture)
 * records nothing, so such runs' configs and resume keys are as before.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint, type ModelTokenizer } from "@ssb/model";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FIXTURE_DIR } from "../test/fixture.js";
import { llama32Tokenizer } from "../test/llama-tokenizer.js";
import { clockAt, writeOnePairFile } from "../test/prompt-settings.js";
import { checkpointDirName } from "./checkpoint-files.js";
import { loadPairExamples } from "./pairs-data.js";
import { runPromptSettings } from "./run-training.js";
import { TRAINER_STATE_FILE, type TrainerState } from "./train-checkpoint.js";
import { resolveTrainConfig, type TrainConfig } from "./train-config.js";
import { checkRunFolder } from "./trainer.js";

let llama: ModelTokenizer;
let qwen: ModelTokenizer;
let dir: string;
let pairs: string;
beforeAll(async () => {
  llama = llama32Tokenizer();
  const checkpoint = await loadCheckpoint(FIXTURE_DIR, { tokenizer: true });
  await checkpoint.close();
  if (!checkpoint.tokenizer) throw new Error(`${FIXTURE_DIR}: no tokenizer`);
  qwen = checkpoint.tokenizer;
  dir = mkdtempSync(path.join(tmpdir(), "distill-date-"));
  pairs = writeOnePairFile(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.useRealTimers();
});

const state = (config: TrainConfig, inputs?: Record<string, string>): TrainerState => ({
  step: 2,
  totalSteps: 4,
  epoch: 0,
  config,
  ...(inputs ? { inputs } : {}),
  savedAt: "2026-11-28T12:00:00.000Z",
});

async function promptIds(settings: ReturnType<typeof runPromptSettings>): Promise<number[]> {
  const [example] = await loadPairExamples(pairs, {
    tokenizer: llama,
    promptMode: "chat",
    ...settings.tokens,
  });
  return Array.from(example?.inputIds ?? []);
}

describe("Llama 3.2-Instruct's date", () => {
  it("is pinned at the first start and kept by a resume on another day: the same prompt ids", async () => {
    const given = resolveTrainConfig({ mode: "sft" });
    clockAt(2026, 11, 28);
    const first = runPromptSettings(given, llama, null, "train config");
    expect(first.config.templateDate).toBe("2026-11-28");
    expect(first.notes).toEqual([]);
    const before = await promptIds(first);
    expect(llama.decode(before)).toContain("Today Date: 28 Nov 2026");

    clockAt(2026, 11, 30);
    const resumed = runPromptSettings(
      given,
      llama,
      { dir: "ck", state: state(first.config) },
      "train config",
    );
    expect(resumed.config.templateDate).toBe("2026-11-28");
    expect(await promptIds(resumed)).toEqual(before);
    // Without the pin the second day renders other ids: what a resume did before.
    const unpinned = await loadPairExamples(pairs, { tokenizer: llama, promptMode: "chat" });
    expect(Array.from(unpinned[0]?.inputIds ?? [])).not.toEqual(before);
  });

  it("given as a setting is the day rendered; a bad one is refused naming the field", async () => {
    const settings = runPromptSettings(
      resolveTrainConfig({ templateDate: "2024-07-26" }),
      llama,
      null,
      "train config",
    );
    expect(settings.config.templateDate).toBe("2024-07-26");
    expect(llama.decode(await promptIds(settings))).toContain("Today Date: 26 Jul 2024");
    expect(() => resolveTrainConfig({ templateDate: "26/07/2024" }, "run.json")).toThrow(
      'run.json: field "templateDate"',
    );
    expect(() => resolveTrainConfig({ templateDate: 20240726 } as never, "run.json")).toThrow(
      'run.json: field "templateDate" must be a date as "YYYY-MM-DD"',
    );
  });

  it("a recorded day is kept on resume in every mode (raw prompts and SFT too); raw runs pin none", () => {
    clockAt(2026, 11, 30);
    const resumedWith = (config: TrainConfig) =>
      runPromptSettings(
        config,
        llama,
        { dir: "ck", state: state({ ...config, templateDate: "2026-11-28" }) },
        "x",
      );
    for (const input of [
      { promptMode: "raw" },
      { mode: "sft" },
      { mode: "sft", promptMode: "raw" },
    ] as const) {
      const config = resolveTrainConfig(input);
      const resumed = resumedWith(config);
      expect(resumed.config.templateDate, JSON.stringify(input)).toBe("2026-11-28");
      expect(resumed.notes.join("\n")).not.toContain("templateDate");
    }
    const raw = runPromptSettings(resolveTrainConfig({ promptMode: "raw" }), llama, null, "x");
    expect("templateDate" in raw.config).toBe(false);
  });

  it("a checkpoint saved before the day was recorded resumes with today pinned, and a note", () => {
    clockAt(2026, 11, 30);
    const old = resolveTrainConfig({});
    const settings = runPromptSettings(
      old,
      llama,
      { dir: "runs/a/checkpoints/step-2", state: state(old) },
      "x",
    );
    expect(settings.config.templateDate).toBe("2026-11-30");
    expect(settings.notes.join("\n")).toContain(
      "runs/a/checkpoints/step-2 was saved before runs recorded the day their chat template writes",
    );
  });
});

describe("a template that reads no date (Qwen)", () => {
  it("leaves the config as it was: no templateDate recorded, nothing else added", () => {
    clockAt(2026, 11, 28);
    const config = resolveTrainConfig({ mode: "sft" });
    const settings = runPromptSettings(config, qwen, null, "train config");
    expect(settings.config).toBe(config);
    expect(JSON.stringify(settings.config)).toBe(JSON.stringify(resolveTrainConfig({ mode: "sft" })));
    expect("templateDate" in settings.config).toBe(false);
    expect(settings.tokens).toEqual({});
    expect(settings.textTokens).toBeNull();
  });
});

describe("raw prompts on Llama, a run begun before they got BOS", () => {
  it("keeps its tokenization without BOS on resume, with a note; a new run records that it adds it", () => {
    const raw = resolveTrainConfig({ promptMode: "raw" });
    const fresh = runPromptSettings(raw, llama, null, "x");
    expect(fresh.textTokens).toBe("special");
    expect(fresh.tokens.addSpecialTokens).toBeUndefined();
    const old = runPromptSettings(raw, llama, { dir: "ck", state: state(raw, { data: "d" }) }, "x");
    expect(old.textTokens).toBe("plain");
    expect(old.tokens.addSpecialTokens).toBe(false);
    expect(old.notes.join("\n")).toContain("this resume keeps the run's tokenization without them");
    const later = runPromptSettings(
      raw,
      llama,
      { dir: "ck", state: state(raw, { textTokens: "special" }) },
      "x",
    );
    expect(later.textTokens).toBe("special");
    expect(later.notes).toEqual([]);
  });
});

describe("a resume's settings check and templateDate", () => {
  /** An output folder whose one checkpoint was saved with `config`. */
  function runFolder(config: TrainConfig): string {
    const out = mkdtempSync(path.join(dir, "run-"));
    const ck = path.join(out, "checkpoints", checkpointDirName(2));
    mkdirSync(ck, { recursive: true });
    writeFileSync(path.join(ck, TRAINER_STATE_FILE), JSON.stringify(state(config)));
    return out;
  }

  it("resumes a checkpoint saved before the day was recorded with today's pinned", async () => {
    const out = runFolder(resolveTrainConfig({}));
    const pinned = resolveTrainConfig({ templateDate: "2026-11-30" });
    await expect(checkRunFolder(out, true, pinned, null, undefined)).resolves.not.toBeNull();
  });

  it("resumes a recorded day before it is pinned again (the early check), and refuses another day", async () => {
    const out = runFolder(resolveTrainConfig({ templateDate: "2026-11-28" }));
    await expect(checkRunFolder(out, true, resolveTrainConfig({}), null, undefined)).resolves.not.toBeNull();
    await expect(
      checkRunFolder(out, true, resolveTrainConfig({ templateDate: "2026-11-29" }), null, undefined),
    ).rejects.toThrow('templateDate: "2026-11-28" -> "2026-11-29"');
  });
});
