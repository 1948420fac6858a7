import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { type MainIo, main } from "./main.js";
import { checkOutputAgainstInputs } from "./output-paths.js";
import { createReporter } from "./reporter.js";
import { runPipeline } from "./run-pipeline.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder with a stand-in model folder (config.json only). */
function setup(): { root: string; model: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "ssb-out-paths-"));
  dirs.push(root);
  const model = path.join(root, "model");
  mkdirSync(model);
  writeFileSync(path.join(model, "config.json"), '{"model_type": "qwen2"}\n');
  return { root, model };
}

const quiet = createReporter({ write: () => true }, true);

describe("checkOutputAgainstInputs", () => {
  it("refuses an output folder that is or is inside an input folder, or that would write over an input", () => {
    const { root, model } = setup();
    const out = (p: string) => ({ label: "--out", path: p, writes: ["base", "summary.json"] });
    const folder = { label: "--model", path: model, kind: "folder" } as const;
    expect(() => checkOutputAgainstInputs(out(model), [folder])).toThrow(
      `--out ${model} is --model ${model}: the outputs would be written among the inputs`,
    );
    expect(() => checkOutputAgainstInputs(out(path.join(model, "run")), [folder])).toThrow(
      /is inside --model/,
    );
    // The same folder through a symbolic link.
    const link = path.join(root, "link");
    symlinkSync(model, link);
    expect(() => checkOutputAgainstInputs(out(link), [folder])).toThrow(/is --model/);
    const data = path.join(root, "data");
    const file = (p: string) => ({ label: "--problems", path: p, kind: "file" }) as const;
    expect(() => checkOutputAgainstInputs(out(data), [file(path.join(data, "summary.json"))])).toThrow(
      `--problems ${path.join(data, "summary.json")} is ${path.join(data, "summary.json")}, which --out ${data} would overwrite or delete`,
    );
    expect(() => checkOutputAgainstInputs(out(data), [file(path.join(data, "base", "p.jsonl"))])).toThrow(
      /is inside/,
    );
    // Inputs elsewhere in the output folder, and output folders beside the inputs, are fine.
    checkOutputAgainstInputs(out(data), [file(path.join(data, "problems.jsonl"))]);
    checkOutputAgainstInputs(out(path.join(root, "out")), [folder, file(path.join(data, "p.jsonl"))]);
  });
});

describe("ssb run's work directory", () => {
  it("is refused at the model folder (it would pin its config over the checkpoint's config.json), naming both", async () => {
    const { model } = setup();
    const before = readFileSync(path.join(model, "config.json"), "utf8");
    const run = runPipeline({
      config: { ...DEFAULT_CONFIG, model },
      configFile: null,
      workDir: model,
      reporter: quiet,
    });
    await expect(run).rejects.toThrow(
      `work directory ${model} is model (default config) ${model}: the outputs would be written among the inputs`,
    );
    expect(readFileSync(path.join(model, "config.json"), "utf8")).toBe(before);
    expect(readdirSync(model)).toEqual(["config.json"]);
  });

  it("is refused where it would overwrite the config file or a problem file", async () => {
    const { root, model } = setup();
    const workDir = path.join(root, "run");
    mkdirSync(path.join(workDir, "problems"), { recursive: true });
    const configFile = path.join(workDir, "config.json");
    writeFileSync(configFile, "{}\n");
    const refused = (configFileArg: string | null, problems = DEFAULT_CONFIG.problems) =>
      runPipeline({
        config: { ...DEFAULT_CONFIG, model, problems },
        configFile: configFileArg,
        workDir,
        reporter: quiet,
      });
    await expect(refused(configFile)).rejects.toThrow(
      `config ${configFile} is ${path.join(workDir, "config.json")}, which work directory ${workDir} would overwrite or delete`,
    );
    expect(readFileSync(configFile, "utf8")).toBe("{}\n");
    const trainFile = path.join(workDir, "problems", "train.jsonl");
    writeFileSync(trainFile, '{"id": "a", "question": "q", "answer": "1"}\n');
    const evalFile = path.join(root, "eval.jsonl");
    await expect(refused(null, { ...DEFAULT_CONFIG.problems, trainFile, evalFile })).rejects.toThrow(
      `problems.trainFile (default config) ${trainFile} is inside ${path.join(workDir, "problems")}, which work directory ${workDir} would overwrite or delete`,
    );
  });
});

describe("the subcommands' --out", () => {
  it("is refused at an input folder, or where it would write over an input, before anything is written", async () => {
    const { root, model } = setup();
    const problems = path.join(root, "problems.jsonl");
    writeFileSync(problems, '{"id": "a", "question": "q", "answer": "1"}\n');
    const logits = path.join(root, "logits");
    mkdirSync(logits);
    let err = "";
    const io: MainIo = {
      stdout: () => {},
      stderr: {
        write(text: string) {
          err += text;
          return true;
        },
      } as unknown as MainIo["stderr"],
    };
    const cases: [string[], string][] = [
      [
        ["eval", "--model", model, "--problems", problems, "--out", model],
        `--out ${model} is --model ${model}`,
      ],
      [
        [
          "distill",
          "--model",
          model,
          "--pairs",
          problems,
          "--logits",
          logits,
          "--out",
          path.join(logits, "run"),
        ],
        `--out ${path.join(logits, "run")} is inside --logits ${logits}`,
      ],
      [
        [
          "curate",
          "--model",
          model,
          "--problems",
          path.join(root, "pairs.jsonl"),
          "--rollouts",
          problems,
          "--out",
          root,
        ],
        `--problems ${path.join(root, "pairs.jsonl")} is ${path.join(root, "pairs.jsonl")}, which --out ${root} would overwrite or delete`,
      ],
    ];
    const before = readdirSync(root, { recursive: true }).map(String).sort();
    for (const [argv, message] of cases) {
      err = "";
      expect(await main(argv, io), err).toBe(1);
      expect(err).toContain(message);
    }
    expect(readdirSync(root, { recursive: true }).map(String).sort()).toEqual(before);
  });
});
