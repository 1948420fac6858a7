/**
 * The comparison's stages over one output folder:
 *   problems   the training problems (one set for both methods) and the held-out problems
 *   ssb        `ssb run` (@ssb/cli's runPipeline) on them: rollout → curate → distill → eval of base and SSB
 *              student with the comparison's evaluation protocol
 *   grpo       @ssb/grpo's runGrpo on the same training problems
 *   grpo-eval  the GRPO policy through the same evaluation (same problems, samples, sampler, seed)
 *   report     report.md, report.json, response-length.svg (always rewritten: cheap, and a rerun after a
 *              package change should show it)
 * A stage writes `stages/<name>.json` when it has finished; a rerun skips those and continues the first
 * unfinished one through the packages' own resume (the pipeline's stage records, GRPO's checkpoints, the eval
 * runner's records). The resolved config is pinned in `config.json`; a rerun whose settings differ in effect
 * (pinned-settings.ts) is refused.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createReporter, heldOutSpec, type PipelineResult, type Reporter, runPipeline } from "@ssb/cli";
import { defaultModelDir } from "@ssb/default-model";
import { type EvalConfig, openModelGenerator, readRecords, runEval } from "@ssb/eval";
import { freshDefaultProblems, type GrpoProblem, readProblems, runGrpo } from "@ssb/grpo";
import { exportOnnx } from "@ssb/model";
import {
  type CompareConfig,
  CompareConfigError,
  type ResolvedComparison,
  ssbPipelineConfig,
} from "./compare-config.js";
import { buildReport, type ComparisonReport, renderMarkdown } from "./compare-report.js";
import { pinnedDifferences } from "./pinned-settings.js";

export const COMPARE_STAGES = ["problems", "ssb", "grpo", "grpo-eval", "report"] as const;
export type CompareStage = (typeof COMPARE_STAGES)[number];

export interface CompareStageRecord {
  stage: CompareStage;
  /** Wall-clock seconds of the session that finished the stage (earlier, interrupted sessions not counted). */
  seconds: number;
  completedAt: string;
  stats: Record<string, unknown>;
}

export interface RunComparisonOptions {
  resolved: ResolvedComparison;
  /** The config file (null: the defaults), shown in the report. */
  configFile: string | null;
  outDir: string;
  /** The command line as typed, for the report. */
  command: string;
  reporter?: Reporter;
  /** Draw the trainers' own progress bars (default true). */
  progress?: boolean;
}

export interface ComparisonResult {
  outDir: string;
  /** Stages this invocation ran (report always runs). */
  ran: CompareStage[];
  report: ComparisonReport;
  files: { markdown: string; json: string; plot: string };
}

/** Seed offset of the training draw: the same as `ssb run`'s, so the default draw is the pipeline's. */
const TRAIN_SEED_OFFSET = 2_000_029;
/** The benchmark name every arm's evaluation uses: sampling streams are seeded by (seed, name, problem, i). */

export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

export function modelDirOf(config: CompareConfig): string {
  return config.model === "default" ? defaultModelDir() : path.resolve(config.model);
}

export function problemFiles(outDir: string): { train: string; eval: string } {
  return {
    train: path.join(outDir, "problems", "train.jsonl"),
    eval: path.join(outDir, "problems", "eval.jsonl"),
  };
}

function stageFile(outDir: string, stage: CompareStage): string {
  return path.join(outDir, "stages", `${stage}.json`);
}

export function readCompareStage(outDir: string, stage: CompareStage): CompareStageRecord | null {
  const file = stageFile(outDir, stage);
  return existsSync(file) ? readJson<CompareStageRecord>(file) : null;
}

function pinConfig(outDir: string, config: CompareConfig): void {
  const file = path.join(outDir, "config.json");
  // workDir only names the folder; a run continued with --out elsewhere is the same run.
  const pinned = { ...config, workDir: undefined };
  if (existsSync(file)) {
    const diff = pinnedDifferences(readJson<unknown>(file), config);
    if (diff.length > 0) {
      throw new CompareConfigError(
        `${outDir} holds a comparison made with different settings (${diff.map((d) => `"${d}"`).join(", ")}); ` +
          "use another --out folder, or delete this one to start over",
      );
    }
  }
  writeFileAtomic(file, `${JSON.stringify(pinned, null, 2)}\n`);
}

function toJsonl(problems: readonly GrpoProblem[]): string {
  return problems
    .map((p) => `${JSON.stringify({ id: p.id, question: p.question, answer: p.answer })}\n`)
    .join("");
}

function drawProblems(config: CompareConfig, outDir: string): Record<string, unknown> {
  const p = config.problems;
  const modelDir = modelDirOf(config);
  let train: GrpoProblem[];
  if (p.trainFile) {
    train = readProblems(p.trainFile).slice(0, p.train);
  } else {
    // Exclusions come from the model's training.json (its pre-training and held-out splits); a checkpoint
    // without one is given the default model's, which only means that no generated problem repeats those.
    const hasSplits = existsSync(path.join(modelDir, "training.json"));
    train = freshDefaultProblems({
      count: p.train,
      seed: config.seed + TRAIN_SEED_OFFSET,
      idPrefix: "train-",
      ...(hasSplits ? { modelDir } : {}),
      ...(p.difficulty ? { difficulty: p.difficulty } : {}),
    });
  }
  const evalSource = p.evalFile ?? path.join(modelDir, "held-out.jsonl");
  if (!existsSync(evalSource)) {
    throw new CompareConfigError(
      `no held-out problems: ${evalSource} does not exist; set problems.evalFile (JSONL of {id, question, answer})`,
    );
  }
  const held = readProblems(evalSource).slice(0, p.eval);
  const trainQuestions = new Set(train.map((t) => t.question));
  const overlap = held.filter((h) => trainQuestions.has(h.question)).length;
  if (overlap > 0) {
    throw new CompareConfigError(
      `${overlap} held-out problems of ${evalSource} also appear in the training problems`,
    );
  }
  const files = problemFiles(outDir);
  mkdirSync(path.dirname(files.train), { recursive: true });
  writeFileAtomic(files.train, toJsonl(train));
  writeFileAtomic(files.eval, toJsonl(held));
  return {
    train: train.length,
    eval: held.length,
    trainSource: p.trainFile ?? "fresh generated word problems (@ssb/grpo freshDefaultProblems)",
    evalSource,
  };
}

/** The evaluation every arm goes through: the held-out benchmark spec of the SSB pipeline's eval stage. */
export function evalConfigFor(config: CompareConfig, evalFile: string, name: string): EvalConfig {
  const e = config.eval;
  return {
    benchmarks: [heldOutSpec(evalFile)],
    n: e.samples,
    sampling: { temperature: e.temperature, topK: e.topK, topP: e.topP, maxNewTokens: e.maxNewTokens },
    seed: config.seed,
    promptsPerCall: e.batchSize,
    name,
  };
}

/** Export base + adapter to ONNX once (temp folder, then rename: a folder that exists is complete). */
async function exportPolicy(
  modelDir: string,
  adapterDir: string,
  outDir: string,
  variant: "contrib" | "plain",
): Promise<string> {
  if (existsSync(path.join(outDir, "model.onnx"))) return outDir;
  const tmp = `${outDir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  await exportOnnx({ modelDir, adapterDir, outDir: tmp, variant });
  renameSync(tmp, outDir);
  return outDir;
}

export async function runComparison(options: RunComparisonOptions): Promise<ComparisonResult> {
  const { config } = options.resolved;
  const reporter = options.reporter ?? createReporter();
  const outDir = path.resolve(options.outDir);
  mkdirSync(path.join(outDir, "stages"), { recursive: true });
  pinConfig(outDir, config);
  const modelDir = modelDirOf(config);
  const files = problemFiles(outDir);
  const ssbConfig = ssbPipelineConfig(config, files, options.configFile ?? "default config");
  const ssbDir = path.join(outDir, "ssb");
  const grpoDir = path.join(outDir, "grpo");
  const grpoEvalDir = path.join(outDir, "grpo-eval");
  const ran: CompareStage[] = [];
  const produced: { report: ComparisonResult | null } = { report: null };

  const runners: Record<CompareStage, () => Promise<Record<string, unknown>>> = {
    problems: async () => drawProblems(config, outDir),
    ssb: async () => {
      const result: PipelineResult = await runPipeline({
        config: ssbConfig,
        configFile: options.configFile,
        workDir: ssbDir,
        reporter: prefixed(reporter, "ssb"),
        progress: options.progress ?? true,
      });
      return { ran: result.ran, stages: result.stages.length };
    },
    grpo: async () => {
      const result = await runGrpo({
        modelDir,
        problems: readProblems(files.train),
        outDir: grpoDir,
        config: options.resolved.grpo,
        resume: true,
        progress: options.progress ?? true,
        log: (line) => reporter.info(line),
      });
      if (result.steps < result.totalSteps) {
        throw new Error(`GRPO stopped after round ${result.steps} of ${result.totalSteps} (grpo.maxSteps?)`);
      }
      return { rounds: result.steps, resumedFrom: result.resumedFrom };
    },
    "grpo-eval": async () => {
      const onnxVariant = ssbConfig.onnxVariant;
      reporter.info("grpo-eval: merging the GRPO adapter into the base weights and exporting it to ONNX");
      const onnx = await exportPolicy(
        modelDir,
        path.join(grpoDir, "adapter"),
        path.join(grpoEvalDir, "onnx"),
        onnxVariant,
      );
      const generator = await openModelGenerator({ model: onnx, batchSize: config.eval.batchSize });
      const progress: { bar: ReturnType<Reporter["bar"]> | null } = { bar: null };
      try {
        const result = await runEval({
          config: evalConfigFor(config, files.eval, "grpo"),
          generator,
          outDir: path.join(grpoEvalDir, "grpo"),
          reports: false,
          onProgress: (p) => {
            progress.bar ??= reporter.bar("eval grpo", p.total);
            progress.bar.update(p.done);
          },
        });
        progress.bar?.finish();
        return { samples: result.records.length, generated: result.generated, resumed: result.resumed };
      } finally {
        await generator.close?.();
      }
    },
    report: async () => {
      const written = writeReport(options, outDir, ssbDir, grpoDir, grpoEvalDir, files);
      produced.report = { outDir, ran, ...written };
      return { markdown: "report.md", json: "report.json", plot: "response-length.svg" };
    },
  };

  for (const stage of COMPARE_STAGES) {
    if (stage !== "report" && readCompareStage(outDir, stage) !== null) {
      reporter.info(`${stage}: complete, skipped`);
      continue;
    }
    reporter.info(`${stage}: ${stage === "report" ? "writing" : "starting"}`);
    const started = performance.now();
    const stats = await runners[stage]();
    const record: CompareStageRecord = {
      stage,
      seconds: (performance.now() - started) / 1000,
      completedAt: new Date().toISOString(),
      stats,
    };
    writeFileAtomic(stageFile(outDir, stage), `${JSON.stringify(record, null, 2)}\n`);
    ran.push(stage);
    reporter.info(`${stage}: done in ${record.seconds.toFixed(1)} s`);
  }
  if (produced.report === null) throw new Error("internal: the report stage did not run");
  return produced.report;
}

function prefixed(reporter: Reporter, prefix: string): Reporter {
  return {
    info: (line) => reporter.info(`[${prefix}] ${line}`),
    warn: (line) => (reporter.warn ?? reporter.info)(`[${prefix}] ${line}`),
    bar: (label, total) => reporter.bar(label, total),
  };
}

function recordsOf(file: string) {
  if (!existsSync(file)) throw new Error(`${file} is missing: the stage that writes it has not finished`);
  return readRecords(file).records;
}

function writeReport(
  options: RunComparisonOptions,
  outDir: string,
  ssbDir: string,
  grpoDir: string,
  grpoEvalDir: string,
  files: { train: string; eval: string },
): { report: ComparisonReport; files: { markdown: string; json: string; plot: string } } {
  const report = buildReport({
    resolved: options.resolved,
    configFile: options.configFile,
    command: options.command,
    outDir,
    files,
    ssbDir,
    grpoDir,
    records: {
      base: recordsOf(path.join(ssbDir, "eval", "base", "records.jsonl")),
      ssb: recordsOf(path.join(ssbDir, "eval", "student", "records.jsonl")),
      grpo: recordsOf(path.join(grpoEvalDir, "grpo", "records.jsonl")),
    },
    stages: {
      problems: readCompareStage(outDir, "problems"),
      grpo: readCompareStage(outDir, "grpo"),
      grpoEval: readCompareStage(outDir, "grpo-eval"),
    },
  });
  const out = {
    markdown: path.join(outDir, "report.md"),
    json: path.join(outDir, "report.json"),
    plot: path.join(outDir, "response-length.svg"),
  };
  writeFileAtomic(out.plot, report.plotSvg);
  const { plotSvg: _svg, ...json } = report;
  writeFileAtomic(out.json, `${JSON.stringify(json, null, 2)}\n`);
  writeFileAtomic(out.markdown, renderMarkdown(report));
  return { report, files: out };
}
