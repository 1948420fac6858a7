import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultModelDir } from "@ssb/default-model";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { ConfigError, deepMerge, loadConfig, parseConfigText, resolveConfig } from "./load-config.js";

const dirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-config-"));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("config", () => {
  it("with no file is the embedded default", () => {
    expect(loadConfig()).toEqual({ config: DEFAULT_CONFIG, file: null });
  });

  it("draws problems exactly as the committed default model was pre-trained (its training.json)", () => {
    // The held-out split is only held out if it is drawn with the pre-training's seed, sizes and difficulty.
    const training = JSON.parse(readFileSync(path.join(defaultModelDir(), "training.json"), "utf8")) as {
      seed: number;
      difficulty: { minSteps: number; maxSteps: number; maxStart: number; maxOperand: number };
      problems: { train: number; heldOut: number };
    };
    expect(DEFAULT_CONFIG.problems.generator).toEqual({
      seed: training.seed,
      pretrainProblems: training.problems.train,
      heldOutProblems: training.problems.heldOut,
      ...training.difficulty,
    });
  });

  it("merges a YAML file over the default, field by field", () => {
    const dir = tmp();
    const file = path.join(dir, "run.yaml");
    writeFileSync(
      file,
      "seed: 7\nrollout:\n  samples: 2\nproblems:\n  trainFile: data/train.jsonl\n  evalFile: e.jsonl\n",
    );
    const { config } = loadConfig(file);
    expect(config.seed).toBe(7);
    expect(config.rollout).toEqual({ ...DEFAULT_CONFIG.rollout, samples: 2 });
    expect(config.problems.trainFile).toBe(path.join(dir, "data/train.jsonl"));
    expect(config.eval).toEqual(DEFAULT_CONFIG.eval);
  });

  it("reads JSON", () => {
    const dir = tmp();
    const file = path.join(dir, "run.json");
    writeFileSync(file, JSON.stringify({ eval: { maxNewTokens: 64 } }));
    expect(loadConfig(file).config.eval.maxNewTokens).toBe(64);
  });

  it("names the field of a wrong type or range", () => {
    expect(() => resolveConfig({ rollout: { temperature: "hot" } }, "x.yaml")).toThrow(
      /x\.yaml: field "rollout\.temperature": Expected number, received string/,
    );
    expect(() => resolveConfig({ curation: { teacher: { topP: 2 } } }, "x.yaml")).toThrow(
      /field "curation\.teacher\.topP"/,
    );
    expect(resolveConfig({ executionProvider: "webgpu" }, "x.yaml").executionProvider).toBe("webgpu");
    expect(() => resolveConfig({ executionProvider: "metal" }, "x.yaml")).toThrow(
      /x\.yaml: field "executionProvider"/,
    );
  });

  it("rejects unknown fields (typos) by name", () => {
    expect(() => resolveConfig({ rollout: { sample: 4 } }, "x.yaml")).toThrow(
      /x\.yaml: unknown field "rollout\.sample"/,
    );
    expect(() => resolveConfig({ evall: {} }, "x.yaml")).toThrow(/unknown field "evall"/);
    // The distill section is checked by @ssb/distill, at load time rather than when distill starts.
    expect(() => resolveConfig({ distill: { epoch: 3 } }, "x.yaml")).toThrow(/x\.yaml: distill.*"epoch"/);
    expect(() => resolveConfig({ seed: -3 }, "x.yaml")).toThrow(/x\.yaml: field "seed"/);
  });

  it("points at the line of a YAML syntax error", () => {
    expect(() => parseConfigText("seed: 1\nrollout:\n  samples: [1,\n", "bad.yaml")).toThrow(
      /bad\.yaml:\d+:\d+: not valid YAML/,
    );
    expect(() => parseConfigText("{", "bad.json")).toThrow(ConfigError);
    // JSON too: the line and column, not JSON.parse's character offset.
    expect(() => parseConfigText('{\n  "seed": 1,\n  "rollout": {"samples": 4,}\n}', "bad.json")).toThrow(
      /^bad\.json:3:28: not valid JSON/,
    );
  });

  it("deepMerge replaces arrays and scalars, merges objects", () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] } })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
    });
  });
});
