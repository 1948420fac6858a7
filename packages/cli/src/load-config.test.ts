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
    expect(loadConfig()).toMatchObject({ config: DEFAULT_CONFIG, file: null });
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
    expect(() => resolveConfig({ distill: { epoch: 3 } }, "x.yaml")).toThrow(
      'x.yaml: unknown field "distill.epoch"',
    );
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

  it("names the file, the field's line and column, and the value as written for .inf, .nan and 1e400", () => {
    const dir = tmp();
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    // .inf once reached @ssb/rollout and came back as "rollout sampling: temperature ... found null".
    const inf = write("inf.yaml", "seed: 3\nrollout:\n  temperature: .inf\n");
    expect(() => loadConfig(inf)).toThrow(
      `${inf}:3:16: field "rollout.temperature": expected a finite number (found .inf)`,
    );
    const nan = write("nan.yaml", "eval: { temperature: .nan }\n");
    expect(() => loadConfig(nan)).toThrow(
      `${nan}:1:22: field "eval.temperature": expected a finite number (found .nan)`,
    );
    const big = write("big.json", '{\n  "curation": {"teacher": {"topP": 1e400}}\n}\n');
    expect(() => loadConfig(big)).toThrow(
      `${big}:2:36: field "curation.teacher.topP": expected a finite number (found 1e400)`,
    );
    // The distill section is @ssb/distill's, which would show the parsed NaN.
    const lr = write("lr.yaml", "distill:\n  optimizer:\n    lr: .NaN\n");
    expect(() => loadConfig(lr)).toThrow(
      `${lr}:3:9: field "distill.optimizer.lr": expected a finite number (found .NaN)`,
    );
    const hot = write("hot.yaml", "rollout:\n  temperature: hot\n");
    expect(() => loadConfig(hot)).toThrow(
      `${hot}:2:16: field "rollout.temperature": Expected number, received string (found hot)`,
    );
    const typo = write("typo.yaml", "rollout:\n  sample: 4\n");
    // An unknown field points at its name, where the typo is, not at its value.
    expect(() => loadConfig(typo)).toThrow(`${typo}:2:3: unknown field "rollout.sample"`);
    const typoJson = write("typo.json", '{\n  "rollout": { "sample": 4 }\n}\n');
    expect(() => loadConfig(typoJson)).toThrow(`${typoJson}:2:16: unknown field "rollout.sample"`);
  });

  it("reports every problem of the distill section with its line and column, with the other sections'", () => {
    const dir = tmp();
    const file = path.join(dir, "typo2.yaml");
    writeFileSync(
      file,
      "rolout: {}\ndistill:\n  lora:\n    rank: 8\n  optimizer:\n    lr: -1\n  epochs: 1.5\n  loss: { temperature: .inf }\n",
    );
    expect(() => loadConfig(file)).toThrow(
      `${file}:1:1: unknown field "rolout"; ` +
        'line 8:24: field "distill.loss.temperature": expected a finite number (found .inf); ' +
        'line 4:5: unknown field "distill.lora.rank"; ' +
        'line 6:9: field "distill.optimizer.lr": must be a finite number >= 0 (found -1); ' +
        'line 7:11: field "distill.epochs": must be an integer >= 1 (found 1.5)',
    );
    // A rule over two fields is kept as @ssb/distill words it, placed at the first field it names.
    const both = path.join(dir, "both.yaml");
    writeFileSync(both, "distill:\n  loss:\n    kdWeight: 0\n    ceWeight: 0\n");
    expect(() => loadConfig(both)).toThrow(
      `${both}:3:15: distill: fields "loss.kdWeight" and "loss.ceWeight" are both 0 in kd mode`,
    );
  });

  it("refuses seeds that are not integers a JS number holds exactly (>= 2^53), naming the field", () => {
    const cases: [unknown, RegExp][] = [
      [
        { seed: 2 ** 53 },
        /x\.yaml: field "seed": Number must be less than or equal to 9007199254740991 \(found 9007199254740992\)/,
      ],
      [{ seed: 1.5 }, /x\.yaml: field "seed": Expected integer, received float \(found 1\.5\)/],
      [
        { problems: { generator: { seed: 1e300 } } },
        /x\.yaml: field "problems\.generator\.seed": Number must be less/,
      ],
      [
        { problems: { generator: { seed: 0.5 } } },
        /x\.yaml: field "problems\.generator\.seed": Expected integer/,
      ],
    ];
    for (const [partial, message] of cases) expect(() => resolveConfig(partial, "x.yaml")).toThrow(message);
    expect(resolveConfig({ seed: Number.MAX_SAFE_INTEGER }, "x.yaml").seed).toBe(Number.MAX_SAFE_INTEGER);
    // As written: 2^53 + 1 reads as 2^53, so the message quotes the file.
    const file = path.join(tmp(), "seed.yaml");
    writeFileSync(file, "seed: 9007199254740993\n");
    expect(() => loadConfig(file)).toThrow(
      `${file}:1:7: field "seed": Number must be less than or equal to 9007199254740991 (found 9007199254740993)`,
    );
  });

  it("refuses absurd counts by name when the config is loaded, before any work (problems.train: 1e8 ran out of memory)", () => {
    const file = path.join(tmp(), "huge.yaml");
    writeFileSync(file, "problems:\n  train: 1e8\n");
    const started = performance.now();
    expect(() => loadConfig(file)).toThrow(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:10: field "problems\\.train": .*100008500 problems would be generated, more than 1000000 .*\\(found 1e8\\)$`,
      ),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    const cases: [unknown, RegExp][] = [
      [{ rollout: { samples: 1e8 } }, /field "rollout\.samples": Number must be less than or equal to 1024/],
      [
        { eval: { maxNewTokens: 1e8 } },
        /field "eval\.maxNewTokens": Number must be less than or equal to 1048576/,
      ],
      [{ curation: { maxAttempts: 1e6 } }, /field "curation\.maxAttempts": Number must be less/],
      [{ curation: { logitK: 1e9 } }, /field "curation\.logitK": Number must be less/],
      [{ rollout: { batchSize: 1e9 } }, /field "rollout\.batchSize": Number must be less/],
      [{ threads: 1e6 }, /field "threads": Number must be less/],
      [
        { problems: { generator: { maxSteps: 1e8 } } },
        /field "problems\.generator\.maxSteps": Number must be less/,
      ],
      [
        { problems: { generator: { pretrainProblems: 1e8 } } },
        /field "problems\.generator\.pretrainProblems"/,
      ],
      [
        { problems: { generator: { minSteps: 4, maxSteps: 3 } } },
        /field "problems\.generator\.minSteps": more than problems\.generator\.maxSteps \(3\)/,
      ],
      [
        { problems: { eval: 501 } },
        /field "problems\.eval": more than the held-out split \(problems\.generator\.heldOutProblems = 500\) \(found 501\)/,
      ],
      [
        { problems: { train: 100_000 }, rollout: { samples: 200 } },
        /field "rollout\.samples": 100000 train problems × 200 samples is more than the 16777216 \(2\^24\) replies one job takes/,
      ],
      [
        { problems: { evalFile: "e.jsonl" } },
        /field "problems\.evalFile": problems\.trainFile and problems\.evalFile go together/,
      ],
    ];
    for (const [partial, message] of cases) expect(() => resolveConfig(partial, "x.yaml")).toThrow(message);
    // With problem files, counts past a file's end are cut to it (with a warning) when the run starts.
    expect(
      resolveConfig({ problems: { train: 1e8, trainFile: "t.jsonl", evalFile: "e.jsonl" } }).problems.train,
    ).toBe(1e8);
  });

  it("reads a config that starts with a UTF-8 byte-order mark, and still points at the right column", () => {
    const dir = tmp();
    const json = path.join(dir, "bom.json");
    writeFileSync(json, '\uFEFF{"seed": 3}\n');
    expect(loadConfig(json).config.seed).toBe(3);
    const yaml = path.join(dir, "bom.yaml");
    writeFileSync(yaml, "\uFEFFseed: 4\n");
    expect(loadConfig(yaml).config.seed).toBe(4);
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "\uFEFFseed: -1\n");
    expect(() => loadConfig(bad)).toThrow(`${bad}:1:7: field "seed"`);
  });

  it("refuses a UTF-16 config (PowerShell's > and Out-File), YAML or JSON, naming the encoding", () => {
    const dir = tmp();
    for (const name of ["run.yaml", "run.json"]) {
      const file = path.join(dir, name);
      const text = name.endsWith(".yaml") ? "seed: 4\n" : '{"seed": 4}\n';
      writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
      expect(() => loadConfig(file)).toThrow(`${file}: the file is UTF-16, not UTF-8`);
    }
  });

  it("deepMerge replaces arrays and scalars, merges objects", () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] } })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
    });
  });
});
