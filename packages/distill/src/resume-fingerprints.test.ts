/**
 * train() records fingerprints of its examples and of its base model's weights in every checkpoint and refuses a
 * resume on edited examples or another base model, also when its caller gives no `inputs` (such a resume went
 * on silently when the schedule's length and the LoRA shapes fitted).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildSyntheticBase,
  buildSyntheticKd,
  loadBase,
  loadSyntheticExamples,
  type SyntheticKd,
} from "../test/synthetic.js";
import { examplesFingerprint } from "./examples-fingerprint.js";
import { type DecoderModel, disposeDecoder, loadDecoder } from "./model.js";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";
import { resolveTrainConfig, type TrainConfigInput } from "./train-config.js";
import { type TrainOptions, train } from "./trainer.js";
import type { TrainingExample } from "./training-example.js";

let dir: string;
let data: SyntheticKd;
let examples: TrainingExample[];
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-examples-fp-"));
  data = await buildSyntheticKd(dir, { embedScale: 4, examples: 4, replyLength: 6 });
  examples = await loadSyntheticExamples(data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 4 examples in batches of 2: 2 steps an epoch, 6 steps; checkpoints only at a stop and the end.
const settings: TrainConfigInput = {
  promptMode: "raw",
  epochs: 3,
  batchSize: 2,
  lora: { r: 4, alpha: 4 },
  checkpointEvery: 0,
};

/**
 * train() on `out` with `list`, stopped after step `stopAt` (0: not stopped); `load` makes the model (default the
 * synthetic base with a LoRA), `config` goes over the settings.
 */
async function trainOn(
  out: string,
  list: TrainingExample[],
  extra: Partial<TrainOptions> = {},
  stopAt = 0,
  load: () => Promise<DecoderModel> = () => loadBase(data.modelDir),
  config: TrainConfigInput = settings,
): Promise<Awaited<ReturnType<typeof train>>> {
  const model = await load();
  const stop = new AbortController();
  try {
    return await train({
      model,
      examples: list,
      config: resolveTrainConfig(config),
      outDir: path.join(dir, out),
      progress: false,
      log: () => {},
      signal: stop.signal,
      onStep: (m) => m.step === stopAt && stop.abort(),
      ...extra,
    });
  } finally {
    disposeDecoder(model);
  }
}

/** The synthetic base with every weight trainable. */
async function loadFull(): Promise<DecoderModel> {
  const checkpoint = await loadCheckpoint(data.modelDir);
  try {
    return await loadDecoder(
      checkpoint.config,
      (n) => checkpoint.weights.readFloat32(n),
      (n) => checkpoint.weights.has(n),
      "full",
    );
  } finally {
    await checkpoint.close();
  }
}

/** The newest checkpoint's trainer_state.json file. */
function newestState(out: string): string {
  const checkpoints = path.join(dir, out, "checkpoints");
  return path.join(checkpoints, readdirSync(checkpoints).sort().at(-1) as string, TRAINER_STATE_FILE);
}

/** `list` with one reply token of the first example changed. */
function edited(list: TrainingExample[]): TrainingExample[] {
  const [first, ...rest] = list as [TrainingExample, ...TrainingExample[]];
  const targets = first.targets.slice();
  targets[0] = ((targets[0] as number) + 1) % 50;
  return [{ ...first, targets }, ...rest];
}

describe("a train() resume", () => {
  it("on edited examples (same count) is refused, naming them and the checkpoint; on the same ones goes on", async () => {
    const stopped = await trainOn("edited", examples, {}, 2);
    expect(stopped).toMatchObject({ interrupted: true, steps: 2 });
    const file = newestState("edited");
    const before = readFileSync(file, "utf8");
    expect(JSON.parse(before).inputs).toMatchObject({ examples: examplesFingerprint(examples) });
    await expect(trainOn("edited", edited(examples), { resume: true })).rejects.toThrow(
      `${file}: saved with other settings or inputs than now (examples: other training examples than the checkpoint's (their ids, tokens, teacher rows or order)); refusing to resume`,
    );
    await expect(trainOn("edited", [...examples].reverse(), { resume: true })).rejects.toThrow(
      "examples: other training examples",
    );
    expect(readFileSync(file, "utf8")).toBe(before);
    await expect(trainOn("edited", examples, { resume: true })).resolves.toMatchObject({
      resumedFrom: 2,
      steps: 6,
      interrupted: false,
    });
  }, 120_000);

  it("on another base model of the same shapes is refused, naming it; the same one loaded again goes on", async () => {
    await trainOn("other-base", examples, {}, 2);
    const file = newestState("other-base");
    const before = readFileSync(file, "utf8");
    // The fixture's layers with another embedding scale: every LoRA shape fits, the weights differ.
    const otherBase = await buildSyntheticBase(path.join(dir, "other-model"), 5);
    const other = await loadBase(otherBase);
    try {
      await expect(trainOn("other-base", examples, { resume: true, model: other })).rejects.toThrow(
        `${file}: saved with other settings or inputs than now (baseWeights: another base model than the checkpoint's (its weights differ)); refusing to resume`,
      );
    } finally {
      disposeDecoder(other);
    }
    expect(readFileSync(file, "utf8")).toBe(before);
    await expect(trainOn("other-base", examples, { resume: true })).resolves.toMatchObject({
      resumedFrom: 2,
      interrupted: false,
    });
  }, 120_000);

  it("of a checkpoint saved before examples were fingerprinted goes on, and records them from then on", async () => {
    await trainOn("old", examples, {}, 2);
    const file = newestState("old");
    const state = JSON.parse(readFileSync(file, "utf8"));
    delete state.inputs;
    writeFileSync(file, JSON.stringify(state));
    await expect(trainOn("old", examples, { resume: true })).resolves.toMatchObject({ resumedFrom: 2 });
    expect(JSON.parse(readFileSync(newestState("old"), "utf8")).inputs).toEqual({
      examples: examplesFingerprint(examples),
      baseWeights: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  }, 120_000);
});

describe("a full-parameter train() resume", () => {
  it("goes on (the base weights are read before the checkpoint's are restored) and ends on the uninterrupted run's model", async () => {
    const fullSettings: TrainConfigInput = { ...settings, trainable: "full", optimizer: { lr: 1e-3 } };
    const full = (out: string, extra: Partial<TrainOptions> = {}, stopAt = 0) =>
      trainOn(out, examples, extra, stopAt, loadFull, fullSettings);
    await full("full-straight");
    await expect(full("full-stopped", {}, 3)).resolves.toMatchObject({ interrupted: true, steps: 3 });
    await expect(full("full-stopped", { resume: true })).resolves.toMatchObject({
      resumedFrom: 3,
      interrupted: false,
    });
    const weights = (out: string) => readFileSync(path.join(dir, out, "model", "model.safetensors"));
    expect(weights("full-stopped").equals(weights("full-straight"))).toBe(true);
  }, 120_000);
});

describe("examplesFingerprint", () => {
  it("changes with a teacher logit, an id or the order; not with a copy", () => {
    const [first, second] = examples as [TrainingExample, TrainingExample];
    const fp = examplesFingerprint(examples);
    const copy = examples.map((e) => ({ ...e, inputIds: e.inputIds.slice() }));
    expect(examplesFingerprint(copy)).toBe(fp);
    const teacher = first.teacher as NonNullable<TrainingExample["teacher"]>;
    const logits = teacher.topkLogits.slice();
    logits[3] = (logits[3] as number) + 1e-3;
    const nudged = [{ ...first, teacher: { ...teacher, topkLogits: logits } }, ...examples.slice(1)];
    expect(examplesFingerprint(nudged)).not.toBe(fp);
    expect(examplesFingerprint([{ ...first, id: "other" }, ...examples.slice(1)])).not.toBe(fp);
    expect(examplesFingerprint([second, first, ...examples.slice(2)])).not.toBe(fp);
  });
});
