import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { summarize } from "@ssb/curation";
import { compareRuns, summarizeRecords } from "@ssb/eval";
import { afterAll, describe, expect, it } from "vitest";
import type { PipelineConfig } from "./config-schema.js";
import { DEFAULT_CONFIG } from "./default-config.js";
import { ensureOnnxExport } from "./model-files.js";
import { countTruncated, nothingTrainedReason, nothingTrainedWarning } from "./nothing-trained.js";
import { renderReportMarkdown } from "./report.js";
import { createReporter } from "./reporter.js";
import type { PipelineResult } from "./run-pipeline.js";
import { runDistillStage } from "./stage-distill.js";
import { runEvalStage } from "./stage-eval.js";
import { differenceJson, differenceLine, summaryJson, summaryTable } from "./summary-table.js";
import { sampleRecords, testModelDir } from "./test-support.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-nothing-trained-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const records = (count: number, right: number) => sampleRecords(count, right, "held-out");

/** A curation summary like a random model's: every rollout ran to the token cap without an answer. */
function emptyCuration() {
  return {
    ...summarize({ mode: "teacher", prompts: [], drops: [], pairs: [] }),
    problems: 8,
    dropped: { total: 8, byReason: { "no-answers": 8 } },
    rollouts: { total: 16, correct: 0, wrong: 0, noAnswer: 16 },
  };
}

function writeRollouts(file: string): void {
  const line = (i: number, finishReason: string) =>
    JSON.stringify({ problemId: String(i), sampleIndex: 0, text: "x", finishReason });
  writeFileSync(
    file,
    `${[...Array.from({ length: 15 }, (_, i) => line(i, "length")), line(15, "stop")].join("\n")}\n`,
  );
}

function capturingReporter() {
  let text = "";
  const reporter = createReporter(
    {
      write: (t: string) => {
        text += t;
      },
    },
    true,
  );
  return { reporter, text: () => text };
}

describe("a run whose curation kept no pairs", () => {
  it("says why in the distill stage's warning: drops by reason, rollout verdicts, how many hit maxNewTokens", async () => {
    const summaryFile = path.join(dir, "summary.json");
    writeFileSync(summaryFile, JSON.stringify(emptyCuration()));
    const rolloutsFile = path.join(dir, "rollouts.jsonl");
    writeRollouts(rolloutsFile);
    expect(await countTruncated(rolloutsFile)).toEqual({ total: 16, truncated: 15 });
    const pairs = path.join(dir, "pairs.jsonl");
    writeFileSync(pairs, "");
    const r = capturingReporter();
    const stats = await runDistillStage({
      config: DEFAULT_CONFIG,
      modelDir: testModelDir(),
      pairsFile: pairs,
      logitsDir: path.join(dir, "logits"),
      dir: path.join(dir, "distill"),
      reporter: r.reporter,
      progress: false,
      curation: { summaryFile, rolloutsFile },
    });
    // It said only "curation kept no pairs; there is nothing to train" (and not under --quiet).
    const expected =
      "of 8 problems 0 had a correct and a wrong rollout to pair, 0 pairs kept, 8 dropped (no-answers 8); " +
      "rollouts: 0 correct, 0 wrong, 16 with no answer; 15 of 16 rollouts stopped at rollout.maxNewTokens " +
      `(${DEFAULT_CONFIG.rollout.maxNewTokens}) before finishing`;
    expect(stats).toEqual({ pairs: 0, steps: 0, trained: false, reason: expected });
    expect(r.text()).toContain(
      `warning: distill: curation kept no pairs, so there is nothing to train and the student is the base model: ${expected}\n`,
    );
    expect(
      nothingTrainedReason({ curation: emptyCuration(), rollouts: null, rolloutMaxNewTokens: 64 }),
    ).not.toContain("maxNewTokens");
    expect(nothingTrainedWarning([{ stage: "distill", stats }])).toMatch(
      /^this run trained nothing: curation kept no pairs \(of 8 problems .*\), so there is no student; .*Exit status 0/,
    );
    expect(nothingTrainedWarning([{ stage: "distill", stats: { trained: true } }])).toBeNull();
  });

  it("evaluates the base once: no student run, no comparison", async () => {
    const evalFile = path.join(dir, "held-out.jsonl");
    writeFileSync(
      evalFile,
      '{"id": "a", "question": "What is 1 + 1?", "answer": "2"}\n{"id": "b", "question": "What is 2 + 1?", "answer": "3"}\n',
    );
    const config: PipelineConfig = structuredClone(DEFAULT_CONFIG);
    config.eval.maxNewTokens = 4;
    const baseOnnxDir = await ensureOnnxExport({
      modelDir: testModelDir(),
      outDir: path.join(dir, "base-onnx"),
      variant: config.onnxVariant,
    });
    const r = capturingReporter();
    const outDir = path.join(dir, "eval");
    const outcome = await runEvalStage({
      config,
      modelDir: testModelDir(),
      baseOnnxDir,
      adapterDir: null,
      evalFile,
      dir: outDir,
      reporter: r.reporter,
    });
    // It evaluated the base model a second time as "the student" and compared it with itself.
    expect(outcome.student).toBeNull();
    expect(outcome.comparison).toBeNull();
    expect(outcome.base.benchmarks[0]?.problems).toBe(2);
    expect(existsSync(path.join(outDir, "student"))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(outDir, "outcome.json"), "utf8"))).toMatchObject({
      student: null,
      comparison: null,
    });
  });

  it("reports the base alone, names no loss plot, and the summary says there is no student", () => {
    const base = summarizeRecords(records(30, 3), { name: "base" }, { bootstrap: { resamples: 200 } });
    const markdown = renderReportMarkdown({
      title: "t",
      about: [],
      base,
      student: null,
      comparison: null,
      curation: emptyCuration(),
      metrics: [],
      distillNote: "nothing",
      stages: [],
      lossPlot: null,
    });
    expect(markdown).toContain("**No student:** nothing was trained");
    expect(markdown).not.toContain("student (SSB)");
    // It named distill/loss.svg, which an untrained run does not write.
    expect(markdown).not.toContain("loss.svg");
    const result: PipelineResult = {
      workDir: dir,
      stages: [
        { stage: "distill", seconds: 0, resumed: false, completedAt: "", stats: { trained: false } },
        { stage: "eval", seconds: 1, resumed: false, completedAt: "", stats: {} },
      ],
      ran: [],
      base,
      student: null,
      comparison: null,
      curation: emptyCuration(),
      report: { markdown: "r.md", html: "r.html" },
    };
    const table = summaryTable(result);
    expect(table).toContain("student not evaluated (nothing trained)");
    expect(table).toContain("student − base: none: nothing was trained");
    expect(table).not.toContain("95% paired CI");
    expect(summaryJson(result).accuracy).toMatchObject({ problems: 30, student: null });
  });

  it("a paired difference without spread is not called a 95% CI", () => {
    const same = records(30, 3);
    const comparison = compareRuns(same, same, { a: "base", b: "student" });
    // It read "student − base: 0.0 (no CI) points, 95% paired CI (McNemar p = 1.00)".
    expect(differenceLine(comparison)).toBe(
      "student − base: 0.0 points; no 95% paired CI (every resample of the problems gives the same difference); McNemar p = 1.00",
    );
    const better = compareRuns(records(30, 3), records(30, 12), { a: "base", b: "student" });
    expect(differenceLine(better)).toMatch(
      /^student − base: 30\.0 \[[\d.]+, [\d.]+\] points, 95% paired CI \(McNemar p = /,
    );
    // --json the same: bounds equal to the estimate read as a real zero-width interval to a script.
    const flat = comparison.benchmarks[0]?.difference;
    expect(flat && differenceJson(flat)).toMatchObject({ estimate: 0, lower: null, upper: null });
    expect(flat && differenceJson(flat)).toHaveProperty("noInterval");
    const spread = better.benchmarks[0]?.difference;
    expect(spread && differenceJson(spread)).toBe(spread);
  });
});
