import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { createReporter } from "./reporter.js";
import { affectedStage, pinnedForm, runPipeline } from "./run-pipeline.js";

/** A stage.json as a finished stage writes it. */
function finishedRecord(stage: string): Record<string, unknown> {
  return { stage, seconds: 1, resumed: false, completedAt: "2026-11-28T00:00:00.000Z", stats: {} };
}

describe("affectedStage", () => {
  it("finds the earliest stage a config change invalidates, and names every changed field", () => {
    expect(affectedStage(DEFAULT_CONFIG, DEFAULT_CONFIG)).toBeNull();
    const evalOnly = { ...DEFAULT_CONFIG, eval: { ...DEFAULT_CONFIG.eval, maxNewTokens: 10 } };
    expect(affectedStage(DEFAULT_CONFIG, evalOnly)).toEqual({
      stage: "eval",
      field: "eval",
      changes: ["eval.maxNewTokens: 160 -> 10"],
    });
    const both = { ...evalOnly, rollout: { ...DEFAULT_CONFIG.rollout, samples: 8, temperature: 0.7 } };
    expect(affectedStage(DEFAULT_CONFIG, both)).toEqual({
      stage: "rollout",
      field: "rollout",
      changes: ["rollout.samples: 4 -> 8", "rollout.temperature: 0.8 -> 0.7", "eval.maxNewTokens: 160 -> 10"],
    });
    expect(affectedStage(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, threads: 4 })).toBeNull();
    expect(affectedStage(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, executionProvider: "webgpu" })).toBeNull();
    // Batch sizes of generation and distill's threads change no output; key order is not a setting.
    const neutral = {
      ...DEFAULT_CONFIG,
      rollout: { ...DEFAULT_CONFIG.rollout, batchSize: 7 },
      eval: { ...DEFAULT_CONFIG.eval, batchSize: 3 },
      distill: { ...DEFAULT_CONFIG.distill, workers: 2 },
      curation: { ...DEFAULT_CONFIG.curation, logitCompression: "zstd" as const },
    };
    expect(affectedStage(DEFAULT_CONFIG, neutral)).toBeNull();
    const a = { ...DEFAULT_CONFIG, distill: { maxLength: 0, maxSteps: 0 } };
    const b = { ...DEFAULT_CONFIG, distill: { maxSteps: 0, maxLength: 0 } };
    expect(affectedStage(a, b)).toBeNull();
    expect(affectedStage(a, { ...b, distill: { maxSteps: 5, lora: { r: 8 } } })).toEqual({
      stage: "distill",
      field: "distill",
      changes: [
        'distill.lora: (not set) -> {"r":8}',
        "distill.maxLength: 0 -> (not set)",
        "distill.maxSteps: 0 -> 5",
      ],
    });
  });
});

describe("pinnedForm", () => {
  it("carries the problem files' contents, so a file edited in place is a change of the problems stage, naming the file", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-pin-"));
    try {
      const [train, evalFile] = [path.join(dir, "train.jsonl"), path.join(dir, "eval.jsonl")];
      writeFileSync(train, '{"id": "a", "question": "q", "answer": "1"}\n');
      writeFileSync(evalFile, '{"id": "b", "question": "q", "answer": "2"}\n');
      const config = {
        ...DEFAULT_CONFIG,
        problems: { ...DEFAULT_CONFIG.problems, trainFile: train, evalFile },
      };
      const before = pinnedForm(config);
      expect(affectedStage(before, pinnedForm(config))).toBeNull();
      writeFileSync(train, '{"id": "a", "question": "q", "answer": "3"}\n');
      expect(affectedStage(before, pinnedForm(config))).toEqual({
        stage: "problems",
        field: "problems",
        changes: [`problems.trainFile ${train} was edited since (its contents differ)`],
      });
      // Another file named: the path is the change (its contents differ too, which says nothing more).
      const other = { ...config, problems: { ...config.problems, evalFile: train } };
      expect(affectedStage(before, pinnedForm(other))?.changes).toEqual([
        `problems.evalFile: ${JSON.stringify(evalFile)} -> ${JSON.stringify(train)}`,
        `problems.trainFile ${train} was edited since (its contents differ)`,
      ]);
      expect(pinnedForm(DEFAULT_CONFIG)).toBe(DEFAULT_CONFIG); // generated problems: nothing to read
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("runPipeline", () => {
  it("refuses a model folder without config.json before any stage runs or the config is pinned", async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "ssb-run-model-"));
    try {
      const missing = path.join(workDir, "models", "Qwen2.5-3B-Instruct");
      const run = runPipeline({
        config: { ...DEFAULT_CONFIG, model: missing },
        configFile: null,
        workDir,
        reporter: createReporter({ write: () => true }, true),
      });
      await expect(run).rejects.toThrow(
        /model: .*Qwen2\.5-3B-Instruct .*has no config\.json; give a Hugging Face checkpoint folder/,
      );
      expect(readdirSync(workDir)).toEqual([]); // no problems stage, no pinned config.json, no lock left
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("names the work directory's config.json, and where it breaks off, when it is truncated; changes nothing", async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "ssb-run-pin-"));
    try {
      const model = path.join(workDir, "model");
      mkdirSync(model);
      writeFileSync(path.join(model, "config.json"), "{}\n");
      const pinned = path.join(workDir, "config.json");
      const truncated = '{\n  "seed": 1,\n  "model": ';
      writeFileSync(pinned, truncated);
      const run = runPipeline({
        config: { ...DEFAULT_CONFIG, model },
        configFile: null,
        workDir,
        reporter: createReporter({ write: () => true }, true),
      });
      await expect(run).rejects.toThrow(`${pinned}:3:12: not valid JSON (Unexpected end of JSON input)`);
      expect(readFileSync(pinned, "utf8")).toBe(truncated); // the pin is kept for the user to repair
      expect(readdirSync(workDir).sort()).toEqual(["config.json", "model"]); // no stage ran, no lock left
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("refuses to skip a finished stage whose outputs are gone, naming them and --from; changes nothing", async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "ssb-run-outputs-"));
    try {
      const model = path.join(workDir, "model");
      mkdirSync(model);
      writeFileSync(path.join(model, "config.json"), "{}\n");
      const done = (stage: string, files: string[]): void => {
        mkdirSync(path.join(workDir, stage, "base-onnx"), { recursive: true });
        for (const f of files) writeFileSync(path.join(workDir, stage, f), "");
        writeFileSync(path.join(workDir, stage, "stage.json"), JSON.stringify(finishedRecord(stage)));
      };
      done("problems", ["train.jsonl", "eval.jsonl"]);
      done("rollout", []); // its rollouts.jsonl deleted since
      const before = readdirSync(workDir, { recursive: true }).map(String).sort();
      const run = (from?: "rollout") =>
        runPipeline({
          config: { ...DEFAULT_CONFIG, model },
          configFile: null,
          workDir,
          ...(from ? { from } : {}),
          reporter: createReporter({ write: () => true }, true),
        });
      await expect(run()).rejects.toThrow(
        `the rollout stage is marked finished (${path.join(workDir, "rollout", "stage.json")}) but ` +
          `${path.join("rollout", "rollouts.jsonl")} is missing from ${workDir}; rerun with --from rollout`,
      );
      expect(readdirSync(workDir, { recursive: true }).map(String).sort()).toEqual(before);
      // With --from rollout the stage is redone, so its outputs are not required: the run gets past the check
      // (and stops at the empty problem files, which this test did not fill).
      await expect(run("rollout")).rejects.not.toThrow(/marked finished/);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("refuses --from a stage whose earlier stages have not finished, naming the first; changes nothing", async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "ssb-run-from-"));
    try {
      const run = () =>
        runPipeline({
          config: DEFAULT_CONFIG,
          configFile: null,
          workDir,
          from: "distill",
          reporter: createReporter({ write: () => true }, true),
        });
      // A new (empty) work directory: nothing has finished.
      await expect(run()).rejects.toThrow(
        `--from distill: the problems stage has not finished in ${workDir} (no ${path.join("problems", "stage.json")}); ` +
          "--from can only redo a stage whose earlier stages are finished: rerun without --from to continue the run, " +
          "or with --from problems",
      );
      expect(readdirSync(workDir)).toEqual([]);
      // A run stopped during rollout: problems finished, rollout has records but no stage.json.
      mkdirSync(path.join(workDir, "problems"));
      for (const f of ["train.jsonl", "eval.jsonl", "stage.json"])
        writeFileSync(
          path.join(workDir, "problems", f),
          f === "stage.json" ? JSON.stringify(finishedRecord("problems")) : "",
        );
      mkdirSync(path.join(workDir, "rollout"));
      writeFileSync(path.join(workDir, "rollout", "rollouts.jsonl"), "");
      const before = readdirSync(workDir, { recursive: true }).map(String).sort();
      await expect(run()).rejects.toThrow(
        /^--from distill: the rollout stage has not finished .*rerun without --from to continue the run, or with --from rollout$/,
      );
      expect(readdirSync(workDir, { recursive: true }).map(String).sort()).toEqual(before);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("leaves no folder behind when it made the work directory and the run is refused at the start", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-run-refused-"));
    try {
      const model = path.join(dir, "model");
      mkdirSync(model);
      // A context of 64 positions: the default maxNewTokens (160) do not fit.
      writeFileSync(path.join(model, "config.json"), '{"max_position_embeddings": 64, "vocab_size": 1000}\n');
      const run = (workDir: string, from?: "distill") =>
        runPipeline({
          config: { ...DEFAULT_CONFIG, model },
          configFile: null,
          workDir,
          ...(from ? { from } : {}),
          reporter: createReporter({ write: () => true }, true),
        });
      await expect(run(path.join(dir, "runs", "a"))).rejects.toThrow(/more than the model's context of 64/);
      await expect(run(path.join(dir, "runs", "b"), "distill")).rejects.toThrow(
        /problems stage has not finished/,
      );
      expect(readdirSync(dir)).toEqual(["model"]); // neither runs/a nor runs/ is left
      // A work directory that was there (empty) is kept, as it was.
      mkdirSync(path.join(dir, "mine"));
      await expect(run(path.join(dir, "mine"))).rejects.toThrow(/more than the model's context/);
      expect(readdirSync(path.join(dir, "mine"))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a rerun whose config changes a finished stage, naming each changed field with its old and new value", async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), "ssb-run-changed-"));
    try {
      const model = path.join(workDir, "model");
      mkdirSync(model);
      writeFileSync(path.join(model, "config.json"), "{}\n");
      const problem = '{"id": "a", "question": "What is 1 + 1?", "answer": "2"}\n';
      for (const stage of ["problems", "rollout"]) {
        mkdirSync(path.join(workDir, stage, "base-onnx"), { recursive: true });
        writeFileSync(path.join(workDir, stage, "stage.json"), JSON.stringify(finishedRecord(stage)));
      }
      writeFileSync(path.join(workDir, "problems", "train.jsonl"), problem);
      writeFileSync(path.join(workDir, "problems", "eval.jsonl"), problem);
      writeFileSync(path.join(workDir, "rollout", "rollouts.jsonl"), "");
      const made = { ...DEFAULT_CONFIG, model };
      writeFileSync(path.join(workDir, "config.json"), JSON.stringify(made));
      const changed = { ...made, rollout: { ...made.rollout, temperature: 0.7 } };
      const run = runPipeline({
        config: changed,
        configFile: null,
        workDir,
        reporter: createReporter({ write: () => true }, true),
      });
      await expect(run).rejects.toThrow(
        `${workDir} holds a run made with other settings (rollout.temperature: 0.8 -> 0.7), which change the ` +
          "rollout stage's outputs; rerun with --from rollout to redo it and what follows, or use another work directory",
      );
      expect(JSON.parse(readFileSync(path.join(workDir, "config.json"), "utf8"))).toEqual(made);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
