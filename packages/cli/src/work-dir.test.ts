import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineConfig } from "./config-schema.js";
import { DEFAULT_CONFIG } from "./default-config.js";
import { createReporter } from "./reporter.js";
import { pinnedForm, runPipeline } from "./run-pipeline.js";
import type { StageName } from "./stages.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const BOM = "\uFEFF";

/**
 * A work directory whose every stage is finished (records and the outputs later stages read, as small
 * stand-ins), on a stand-in model folder; `bom` starts every JSON file with a byte-order mark.
 */
function finishedWorkDir(bom = ""): { workDir: string; config: PipelineConfig } {
  const root = mkdtempSync(path.join(os.tmpdir(), "ssb-run-state-"));
  dirs.push(root);
  const model = path.join(root, "model");
  mkdirSync(model);
  writeFileSync(path.join(model, "config.json"), "{}\n");
  const workDir = path.join(root, "work");
  const config = { ...DEFAULT_CONFIG, model };
  const json = (file: string, value: unknown): void => {
    mkdirSync(path.dirname(path.join(workDir, file)), { recursive: true });
    writeFileSync(path.join(workDir, file), `${bom}${JSON.stringify(value)}\n`);
  };
  const stats: Record<StageName, Record<string, unknown>> = {
    problems: { train: 1, eval: 1 },
    rollout: { samples: 4 },
    curate: { kept: 0 },
    distill: { pairs: 0, steps: 0, trained: false },
    eval: { problems: 1 },
    report: { html: "report/report.html" },
  };
  for (const [stage, s] of Object.entries(stats)) {
    json(path.join(stage, "stage.json"), {
      stage,
      seconds: 1,
      resumed: false,
      completedAt: "2026-11-28T00:00:00.000Z",
      stats: s,
    });
  }
  json("config.json", pinnedForm(config));
  for (const file of [
    "problems/train.jsonl",
    "problems/eval.jsonl",
    "rollout/rollouts.jsonl",
    "curate/pairs.jsonl",
  ])
    writeFileSync(path.join(workDir, file), "");
  mkdirSync(path.join(workDir, "rollout", "base-onnx"));
  mkdirSync(path.join(workDir, "curate", "logits"));
  json("curate/summary.json", { problems: 1, selected: 0, kept: 0, dropped: { total: 1, byReason: {} } });
  json("eval/outcome.json", {
    base: { benchmarks: [] },
    student: { benchmarks: [] },
    comparison: { benchmarks: [] },
  });
  writeFileSync(path.join(workDir, "report", "report.md"), "");
  writeFileSync(path.join(workDir, "report", "report.html"), "");
  return { workDir, config };
}

/** Every file under `dir` with its contents, to show a refused run changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, rel);
    out[rel] = statSync(file).isDirectory() ? "<dir>" : readFileSync(file, "utf8");
  }
  return out;
}

const run = (workDir: string, config: PipelineConfig, from?: StageName) =>
  runPipeline({
    config,
    configFile: null,
    workDir,
    ...(from ? { from } : {}),
    reporter: createReporter({ write: () => true }, true),
  });

describe("the work directory's state files", () => {
  it("are read when they start with a UTF-8 byte-order mark", async () => {
    const { workDir, config } = finishedWorkDir(BOM);
    const result = await run(workDir, config);
    expect(result.ran).toEqual([]);
    expect(result.stages.map((s) => s.stage)).toEqual([
      "problems",
      "rollout",
      "curate",
      "distill",
      "eval",
      "report",
    ]);
  });

  it("refuses a damaged stage.json, naming it and the --from that redoes it; never redoes the stage unasked", async () => {
    const cases: [string, string][] = [
      // `null` once read as "not finished": the stage was redone and every later stage's outputs deleted.
      ["null", "not a stage record (expected a JSON object, found null)"],
      ['{"stage": "rollout", "sec', ":1:26: not valid JSON"],
      [
        '{"stage": "curate", "seconds": 1, "resumed": false, "completedAt": "x", "stats": {}}',
        '"stage" is "curate", expected "rollout"',
      ],
      [
        '{"stage": "rollout", "seconds": 1, "resumed": false, "completedAt": "x"}',
        '"stats" is not an object',
      ],
      ["[]", "expected a JSON object, found an array"],
    ];
    for (const [text, problem] of cases) {
      const { workDir, config } = finishedWorkDir();
      const file = path.join(workDir, "rollout", "stage.json");
      writeFileSync(file, text);
      const before = snapshot(workDir);
      for (const from of [undefined, "curate", "report"] as const) {
        const refused = run(workDir, config, from);
        await expect(refused).rejects.toThrow(problem);
        await expect(refused).rejects.toThrow(
          new RegExp(
            `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*; rerun with --from rollout to redo the rollout stage and what follows$`,
          ),
        );
        expect(snapshot(workDir)).toEqual(before);
      }
    }
  });

  it("lets --from at or before the damaged stage redo it", async () => {
    const { workDir, config } = finishedWorkDir();
    writeFileSync(path.join(workDir, "rollout", "stage.json"), "null");
    // The stand-in model cannot be exported: the run gets past the record and fails in the rollout stage.
    await expect(run(workDir, config, "rollout")).rejects.not.toThrow(/stage record|--from/);
  });

  it("refuses a damaged eval/outcome.json or curate/summary.json, naming it and the --from that redoes it", async () => {
    const cases: [string, string, RegExp][] = [
      [
        "eval/outcome.json",
        "null",
        /outcome\.json: not an eval outcome \(expected a JSON object\); rerun with --from eval/,
      ],
      [
        "eval/outcome.json",
        '{"base": {"benchmarks": []}, "student": {}',
        /outcome\.json:1:\d+: not valid JSON .*; rerun with --from eval/,
      ],
      [
        "eval/outcome.json",
        '{"base": {"benchmarks": []}, "student": {"benchmarks": []}}',
        /"comparison" is not a run summary/,
      ],
      [
        "curate/summary.json",
        "[]",
        /summary\.json: not a curation summary \(expected a JSON object\); rerun with --from curate/,
      ],
    ];
    for (const [file, text, message] of cases) {
      const { workDir, config } = finishedWorkDir();
      writeFileSync(path.join(workDir, file), text);
      await expect(run(workDir, config)).rejects.toThrow(message);
    }
  });
});
