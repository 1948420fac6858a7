/**
 * `ssb run`: the stages in order over one work directory. A stage with a completion record is skipped; the
 * first one without runs (continuing its own partial files) after every later stage's stale outputs are
 * removed. The resolved config is pinned in the work directory: a rerun with a config that changes an earlier,
 * finished stage is refused unless `--from` restarts at or before that stage.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type CurationSummary, readProblemsFile } from "@ssb/curation";
import { readMetrics } from "@ssb/distill";
import {
  acquirePidLock,
  makeFolders,
  parseJsonObjectFile,
  removeEmptyFolders,
  writeFileAtomic,
} from "@ssb/durable-files";
import type { RunComparison, RunSummary } from "@ssb/eval";
import { sectionChanges } from "./config-changes.js";
import type { PipelineConfig } from "./config-schema.js";
import { type ConfigSource, unwrittenSource } from "./config-source.js";
import { counted } from "./counted.js";
import { checkDistillMemory } from "./distill-memory-check.js";
import { checkForeignWorkDir } from "./foreign-work-dir.js";
import { checkModelDir, resolveModelDir } from "./model-files.js";
import { checkOutputAgainstInputs, type NamedPath } from "./output-paths.js";
import { renderReportHtml, renderReportMarkdown } from "./report.js";
import { type Reporter, warnLine } from "./reporter.js";
import { checkChatTemplate, checkJobSizes, checkModelLimits } from "./run-checks.js";
import { logitsDir, pairsFile, runCurateStage } from "./stage-curate.js";
import { adapterDir, metricsFile, runDistillStage } from "./stage-distill.js";
import { runEvalStage } from "./stage-eval.js";
import { type ProblemSets, problemFiles, runProblemsStage, selectProblems } from "./stage-problems.js";
import { baseOnnxDir, rolloutsFile, runRolloutStage } from "./stage-rollout.js";
import { STAGES, type StageName, stageIndex } from "./stages.js";
import { withTemplateDay } from "./template-day.js";
import { unusedKwargsWarning } from "./template-kwargs.js";
import { thinkingModeWarning } from "./thinking-mode.js";
import {
  clearFrom,
  firstIncompleteStage,
  markStageComplete,
  readStageJson,
  readStageRecord,
  redoHint,
  STAGE_FILE,
  type StageRecord,
  stageDir,
} from "./work-dir.js";

export interface RunPipelineOptions {
  config: PipelineConfig;
  /** The config file (null: the embedded default); shown in the report. */
  configFile: string | null;
  /** Where the config's fields were written (loadConfig's), so errors found at the start can point there. */
  configSource?: ConfigSource;
  workDir: string;
  /** Restart at this stage: its outputs and every later stage's are deleted first. */
  from?: StageName;
  reporter: Reporter;
  /** Let stages draw their own progress output (distill's step bar). */
  progress?: boolean;
}

export interface PipelineResult {
  workDir: string;
  stages: StageRecord[];
  /** Stages this invocation ran (the rest were complete already). */
  ran: StageName[];
  base: RunSummary;
  /** Null when nothing was trained (curation kept no pairs): the student is the base and is not evaluated. */
  student: RunSummary | null;
  comparison: RunComparison | null;
  curation: CurationSummary;
  report: { markdown: string; html: string };
}

/**
 * Which stage each config field first affects (fields not listed change no output: threads, and the
 * execution provider, whose logits differ from the CPU's in the last bits only).
 */
const FIELD_STAGE: Record<string, StageName> = {
  seed: "problems",
  model: "problems",
  problems: "problems",
  onnxVariant: "rollout",
  templateDate: "rollout",
  chatTemplateKwargs: "rollout",
  rollout: "rollout",
  curation: "curate",
  distill: "distill",
  eval: "eval",
};

/**
 * Settings inside those sections that change no output: how many sequences are decoded together (every
 * (problem, sample) draws from its own stream) and distill's worker threads (the summation order of
 * gradients only, which @ssb/distill itself lets a resume change), and the logit store's compression (recorded
 * per shard: a store may hold both, and reads back the same values).
 */
const NEUTRAL: Record<string, readonly string[]> = {
  rollout: ["batchSize"],
  curation: ["logitCompression"],
  eval: ["batchSize"],
  distill: ["workers"],
};

/** A section as compared: neutral settings left out, object keys sorted (YAML order is not a setting). */
function comparable(field: string, value: unknown): unknown {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v !== "object" || v === null) return v;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, x]) => [k, sorted(x)]));
  };
  const neutral = NEUTRAL[field] ?? [];
  const kept =
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([k]) => !neutral.includes(k)))
      : value;
  return sorted(kept);
}

export interface ConfigChange {
  /** The earliest stage whose outputs the change invalidates. */
  stage: StageName;
  /** The config section that changes it. */
  field: string;
  /**
   * Every changed field, in stage order: `rollout.temperature: 0.8 -> 0.7`, or a problem file edited in place
   * (`problems.trainFile data/train.jsonl was edited since (its contents differ)`).
   */
  changes: string[];
}

/** The earliest stage whose outputs the change from `before` to `after` invalidates, its section and the changes. */
export function affectedStage(before: PipelineConfig, after: PipelineConfig): ConfigChange | null {
  let best: { stage: StageName; field: string } | null = null;
  const changes: string[] = [];
  const sections = Object.entries(FIELD_STAGE).sort(([, a], [, b]) => stageIndex(a) - stageIndex(b));
  for (const [field, stage] of sections) {
    const a = comparable(field, (before as Record<string, unknown>)[field]);
    const b = comparable(field, (after as Record<string, unknown>)[field]);
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (best === null) best = { stage, field };
    changes.push(...sectionChanges(field, a, b));
  }
  return best === null ? null : { ...best, changes };
}

const CONFIG_FILE = "config.json";

/**
 * The config as pinned: the settings, and fingerprints of the problem files it names (their contents, so a
 * file edited in place is a change of `problems` like any other).
 */
export function pinnedForm(config: PipelineConfig): PipelineConfig {
  const sha = (file: string): string =>
    existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16) : "missing";
  const { trainFile, evalFile } = config.problems;
  if (trainFile === undefined && evalFile === undefined) return config;
  const contents = {
    ...(trainFile !== undefined ? { trainFile: sha(trainFile) } : {}),
    ...(evalFile !== undefined ? { evalFile: sha(evalFile) } : {}),
  };
  return { ...config, problems: { ...config.problems, contents } as PipelineConfig["problems"] };
}

/** The work directory's pinned config, or null when there is none or it does not parse (pinConfig says why). */
function readPinnedConfig(workDir: string): Partial<PipelineConfig> | null {
  const file = path.join(workDir, CONFIG_FILE);
  if (!existsSync(file)) return null;
  try {
    return parseJsonObjectFile(readFileSync(file, "utf8"), file) as Partial<PipelineConfig>;
  } catch {
    return null;
  }
}

function pinConfig(workDir: string, configIn: PipelineConfig, from: StageName | undefined): void {
  const file = path.join(workDir, CONFIG_FILE);
  const config = pinnedForm(configIn);
  if (existsSync(file)) {
    // A damaged pin is an error, not a fresh start: overwriting it would lose the check that the finished
    // stages were made with this config.
    let previous: PipelineConfig;
    try {
      previous = parseJsonObjectFile(readFileSync(file, "utf8"), file) as unknown as PipelineConfig;
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; this file pins the config the work directory was made with: repair it, or delete it to pin this run's config unchecked`,
      );
    }
    const change = affectedStage(previous, config);
    // An empty stage folder (a stage that failed as it started) holds nothing a change could invalidate.
    const hasOutputs = change !== null && hasFiles(stageDir(workDir, change.stage));
    if (change && hasOutputs && (from === undefined || stageIndex(from) > stageIndex(change.stage))) {
      throw new Error(
        `${workDir} holds a run made with other settings (${change.changes.join("; ")}), which change the ` +
          `${change.stage} stage's outputs; rerun with --from ${change.stage} to redo it and what follows, or use ` +
          "another work directory",
      );
    }
  }
  writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * What later stages (and the final report) read from each finished stage. A stage.json whose outputs were
 * deleted or moved since would otherwise be skipped, and a later stage would fail far from the cause.
 */
function stageOutputs(workDir: string, stage: StageName, dirs: Record<StageName, string>): string[] {
  switch (stage) {
    case "problems": {
      const files = problemFiles(dirs.problems);
      return [files.train, files.eval];
    }
    case "rollout":
      return [baseOnnxDir(dirs.rollout), rolloutsFile(dirs.rollout)];
    case "curate":
      return [pairsFile(dirs.curate), logitsDir(dirs.curate), path.join(dirs.curate, "summary.json")];
    case "distill":
      return readStageRecord(workDir, "distill")?.stats.trained === true ? [adapterDir(dirs.distill)] : [];
    case "eval":
      return [path.join(dirs.eval, "outcome.json")];
    case "report":
      return [path.join(dirs.report, "report.md"), path.join(dirs.report, "report.html")];
  }
}

/**
 * Refuses a run that would skip a stage before `until` (the first to run) which has not finished, or a finished
 * one whose outputs are gone, before anything is changed.
 */
function checkFinishedStages(
  workDir: string,
  until: StageName | null,
  dirs: Record<StageName, string>,
): void {
  for (const stage of STAGES) {
    if (stage === until) return;
    // A damaged record is refused here, before --from deletes anything, not when the loop reaches it.
    if (readStageRecord(workDir, stage) === null) {
      // Only --from gets here (without it, `until` is the first stage without a record): it redoes a stage
      // from the outputs of the ones before, which this one has not made.
      throw new Error(
        `--from ${String(until)}: the ${stage} stage has not finished in ${workDir} (no ${path.join(stage, STAGE_FILE)}); ` +
          `--from can only redo a stage whose earlier stages are finished: rerun without --from to continue ` +
          `the run, or with --from ${stage}`,
      );
    }
    const missing = stageOutputs(workDir, stage, dirs).filter((file) => !existsSync(file));
    if (missing.length > 0) {
      throw new Error(
        `the ${stage} stage is marked finished (${path.join(dirs[stage], STAGE_FILE)}) but ` +
          `${missing.map((file) => path.relative(workDir, file)).join(", ")} ${missing.length === 1 ? "is" : "are"} missing ` +
          `from ${workDir}; rerun with --from ${stage} to redo it and what follows`,
      );
    }
  }
}

function hasFiles(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

type EvalOutcome = { base: RunSummary; student: RunSummary | null; comparison: RunComparison | null };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const hasBenchmarks = (v: unknown): boolean => isObject(v) && Array.isArray(v.benchmarks);

/** eval/outcome.json, checked to be one: a damaged one names the file and the --from that redoes it. */
function readOutcome(file: string): EvalOutcome {
  const value = readStageJson(file, "eval");
  // student and comparison are null when nothing was trained (only the base was evaluated).
  const bad = ["base", "student", "comparison"].find(
    (k) => !(isObject(value) && (hasBenchmarks(value[k]) || (k !== "base" && value[k] === null))),
  );
  if (bad !== undefined) {
    const what = isObject(value)
      ? `"${bad}" is not a run summary with "benchmarks"`
      : "expected a JSON object";
    throw new Error(`${file}: not an eval outcome (${what}); ${redoHint("eval")}`);
  }
  return value as unknown as EvalOutcome;
}

/** curate/summary.json, checked as readOutcome checks the eval outcome. */
function readCurationSummary(file: string): CurationSummary {
  const value = readStageJson(file, "curate");
  const bad = ["problems", "selected", "kept"].find(
    (k) => !(isObject(value) && typeof value[k] === "number"),
  );
  if (bad !== undefined || !(isObject(value) && isObject(value.dropped))) {
    const what = isObject(value)
      ? `"${bad ?? "dropped"}" is missing or of the wrong type`
      : "expected a JSON object";
    throw new Error(`${file}: not a curation summary (${what}); ${redoHint("curate")}`);
  }
  return value as unknown as CurationSummary;
}

/** The files and folders `ssb run` writes (or deletes, with --from) in the work directory. */
const WORK_DIR_WRITES = [CONFIG_FILE, "ssb-run.lock", ...STAGES];

/** Refuse a work directory that is, or holds in what the run writes, one of the run's inputs. */
function checkWorkDirAgainstInputs(options: RunPipelineOptions, source: ConfigSource): void {
  const { config } = options;
  const inputs: NamedPath[] = [
    { label: `model (${source.name})`, path: resolveModelDir(config.model), kind: "folder" },
  ];
  const { trainFile, evalFile } = config.problems;
  if (trainFile !== undefined)
    inputs.push({ label: `problems.trainFile (${source.name})`, path: trainFile, kind: "file" });
  if (evalFile !== undefined)
    inputs.push({ label: `problems.evalFile (${source.name})`, path: evalFile, kind: "file" });
  if (options.configFile !== null) inputs.push({ label: "config", path: options.configFile, kind: "file" });
  checkOutputAgainstInputs(
    { label: "work directory", path: options.workDir, writes: WORK_DIR_WRITES },
    inputs,
  );
}

export async function runPipeline(options: RunPipelineOptions): Promise<PipelineResult> {
  const source = options.configSource ?? unwrittenSource(options.configFile ?? "default config");
  // Before the folder is made or locked: its lock and pinned config could be an input's name.
  checkWorkDirAgainstInputs(options, source);
  const workDir = path.resolve(options.workDir);
  // The first folder this made (undefined: the work directory was there), removed again if the run is refused.
  const created = makeFolders(workDir);
  try {
    // One run per work directory, taken before the config is pinned: a second run, refused, must not have
    // replaced the first one's config.json on its way out.
    const release = acquirePidLock(path.join(workDir, "ssb-run.lock"), workDir, "ssb run");
    try {
      return await runLocked(options, workDir, source);
    } finally {
      release();
    }
  } catch (error) {
    // A run refused by the checks at the start wrote nothing: the folders made for it are not left behind.
    if (created !== undefined) removeEmptyFolders(workDir, created);
    throw error;
  }
}

async function runLocked(
  options: RunPipelineOptions,
  workDir: string,
  source: ConfigSource,
): Promise<PipelineResult> {
  const { reporter } = options;
  // A folder of the user's own: its config.json and any stage-named folders would be overwritten or deleted.
  checkForeignWorkDir(workDir);
  const modelDir = resolveModelDir(options.config.model);
  // One day for every stage's date-reading chat template (Llama 3.1 / 3.2), recorded in config.json.
  const config = withTemplateDay(options.config, modelDir, readPinnedConfig(workDir));
  // The stages from rollout to eval read the model: a run that will run any of them needs it to be there.
  const first = options.from ?? firstIncompleteStage(workDir);
  const dirs = Object.fromEntries(STAGES.map((s) => [s, stageDir(workDir, s)])) as Record<StageName, string>;
  // The stages before the first one to run are skipped: they must have finished and their outputs must be
  // there. Checked, like the config, before deleting anything: a refused run must leave the work directory as
  // it was.
  checkFinishedStages(workDir, first, dirs);
  if (first !== null && stageIndex(first) <= stageIndex("eval")) {
    checkModelDir(config.model, modelDir);
    checkModelLimits(config, modelDir, source);
    checkChatTemplate(modelDir);
    const thinking = thinkingModeWarning(modelDir, config);
    if (thinking !== null) warnLine(reporter, thinking);
    const unused = unusedKwargsWarning(modelDir, config);
    if (unused !== null) warnLine(reporter, unused);
  }
  const problems = problemFiles(dirs.problems);
  // The problems are selected now when the problems stage will run: files read and counted, warnings shown,
  // and the jobs they make checked, before any stage starts.
  let selected: ProblemSets | null = null;
  let selectSeconds = 0;
  if (first === "problems") {
    const started = performance.now();
    selected = await selectProblems(config, source.name);
    selectSeconds = (performance.now() - started) / 1000;
    for (const line of selected.warnings) warnLine(reporter, line);
    checkJobSizes(config, source, { train: selected.train.length, eval: selected.eval.length });
  } else if (first !== null && stageIndex(first) <= stageIndex("eval")) {
    checkJobSizes(config, source, { trainFile: problems.train, evalFile: problems.eval });
  }
  // Before the rollouts: a distill batch too large for the wasm heap would otherwise abort after them.
  if (first !== null && stageIndex(first) <= stageIndex("distill")) {
    const questions = selected
      ? selected.train.map((p) => p.question)
      : existsSync(problems.train)
        ? (await readProblemsFile(problems.train)).map((p) => p.question)
        : [];
    const memory = await checkDistillMemory(config, modelDir, questions);
    if (memory !== null) warnLine(reporter, memory);
  }
  pinConfig(workDir, config, options.from);
  if (options.from) clearFrom(workDir, options.from);
  const ran: StageName[] = [];
  // Filled by the runners below (closures), read after the loop.
  const produced: { eval: EvalOutcome | null; report: { markdown: string; html: string } | null } = {
    eval: null,
    report: null,
  };

  const runners: Record<StageName, () => Promise<Record<string, unknown>>> = {
    problems: async () => (await runProblemsStage(config, dirs.problems, selected ?? undefined)).stats,
    rollout: () =>
      runRolloutStage({ config, modelDir, trainFile: problems.train, dir: dirs.rollout, reporter }),
    curate: () =>
      runCurateStage({
        config,
        onnxDir: baseOnnxDir(dirs.rollout),
        trainFile: problems.train,
        rolloutsFile: rolloutsFile(dirs.rollout),
        dir: dirs.curate,
        reporter,
      }),
    distill: () =>
      runDistillStage({
        config,
        modelDir,
        pairsFile: pairsFile(dirs.curate),
        logitsDir: logitsDir(dirs.curate),
        dir: dirs.distill,
        reporter,
        progress: options.progress ?? true,
        curation: {
          summaryFile: path.join(dirs.curate, "summary.json"),
          rolloutsFile: rolloutsFile(dirs.rollout),
        },
      }),
    eval: async () => {
      const trained = readStageRecord(workDir, "distill")?.stats.trained === true;
      const evalOutcome = await runEvalStage({
        config,
        modelDir,
        baseOnnxDir: baseOnnxDir(dirs.rollout),
        adapterDir: trained ? adapterDir(dirs.distill) : null,
        evalFile: problems.eval,
        dir: dirs.eval,
        reporter,
      });
      produced.eval = evalOutcome;
      const b = evalOutcome.base.benchmarks[0];
      const s = evalOutcome.student?.benchmarks[0];
      const d = evalOutcome.comparison?.benchmarks[0];
      return {
        problems: b?.problems ?? 0,
        basePass1: b?.pass1 ?? null,
        studentPass1: s?.pass1 ?? null,
        ...(evalOutcome.student === null ? { student: "not evaluated: nothing was trained" } : {}),
        difference: d?.difference ?? null,
        mcnemarP: d?.mcnemar?.pValue ?? null,
        wins: d?.wins ?? 0,
        losses: d?.losses ?? 0,
      };
    },
    report: async () => {
      const report = writeReport(workDir, config, options.configFile, dirs);
      produced.report = report;
      return { markdown: path.relative(workDir, report.markdown), html: path.relative(workDir, report.html) };
    },
  };

  for (const stage of STAGES) {
    if (readStageRecord(workDir, stage) !== null) {
      reporter.info(`${stage}: complete, skipped`);
      continue;
    }
    // Later stages were built on an unfinished (or redone) stage: they are stale.
    const later = STAGES[stageIndex(stage) + 1];
    if (later) clearFrom(workDir, later);
    const resumed = hasFiles(dirs[stage]);
    reporter.info(`${stage}: ${resumed ? "resuming" : "starting"}`);
    const started = performance.now();
    const stats = await runners[stage]();
    const record: StageRecord = {
      stage,
      // The problems were selected (drawn or read) before the stage, when the run started: counted here.
      seconds: (performance.now() - started) / 1000 + (stage === "problems" ? selectSeconds : 0),
      resumed,
      completedAt: new Date().toISOString(),
      stats,
    };
    markStageComplete(workDir, record);
    ran.push(stage);
    reporter.info(`${stage}: done in ${record.seconds.toFixed(1)} s`);
  }

  const outcome = produced.eval ?? readOutcome(path.join(dirs.eval, "outcome.json"));
  const stages = STAGES.map((s) => readStageRecord(workDir, s)).filter((r): r is StageRecord => r !== null);
  const files = produced.report ?? {
    markdown: path.join(dirs.report, "report.md"),
    html: path.join(dirs.report, "report.html"),
  };
  return {
    workDir,
    stages,
    ran,
    ...outcome,
    curation: readCurationSummary(path.join(dirs.curate, "summary.json")),
    report: files,
  };
}

function describeLora(value: unknown): string {
  const l = (value ?? {}) as { r?: number; alpha?: number; targets?: string[] | string };
  const targets = Array.isArray(l.targets) ? l.targets.join(", ") : String(l.targets);
  return `r=${String(l.r)}, alpha=${String(l.alpha)} on ${targets}`;
}

function writeReport(
  workDir: string,
  config: PipelineConfig,
  configFile: string | null,
  dirs: Record<StageName, string>,
): { markdown: string; html: string } {
  const outcome = readOutcome(path.join(dirs.eval, "outcome.json"));
  const distill = readStageRecord(workDir, "distill");
  const metrics = existsSync(metricsFile(dirs.distill)) ? readMetrics(metricsFile(dirs.distill)) : [];
  const s = distill?.stats ?? {};
  const distillNote =
    s.trained === true
      ? `LoRA student (${describeLora(s.lora)}), ${String(s.loss)}, ${counted(s.pairs, "pair")}, ${counted(s.epochs, "epoch")}, batch ${String(s.batchSize)}, AdamW lr ${String(s.lr)}.`
      : `Curation kept no pairs, so nothing was trained: the student is the base model and was not evaluated${typeof s.reason === "string" ? ` (${s.reason})` : ""}.`;
  const stages = STAGES.filter((st) => st !== "report")
    .map((st) => readStageRecord(workDir, st))
    .filter((r): r is StageRecord => r !== null);
  const input = {
    title: "ssb run: Semantic Soft Bootstrapping report",
    about: [
      `model: ${config.model === "default" ? "the embedded default (@ssb/default-model)" : config.model}`,
      `config: ${configFile ?? "the embedded default"}; seed ${config.seed}`,
      `train problems: ${config.problems.train} × ${config.rollout.samples} rollouts (T=${config.rollout.temperature}, top-k ${config.rollout.topK}); teacher T=${config.curation.teacher.temperature}, top-${config.curation.logitK} logits`,
      `eval: ${config.eval.samples} sample(s) per problem, T=${config.eval.temperature}, max ${config.eval.maxNewTokens} new tokens`,
    ],
    base: outcome.base,
    student: outcome.student,
    comparison: outcome.comparison,
    curation: readCurationSummary(path.join(dirs.curate, "summary.json")),
    metrics,
    distillNote,
    stages,
    lossPlot: existsSync(path.join(dirs.distill, "loss.svg")) ? "distill/loss.svg" : null,
  };
  mkdirSync(dirs.report, { recursive: true });
  const markdown = path.join(dirs.report, "report.md");
  const html = path.join(dirs.report, "report.html");
  writeFileAtomic(markdown, renderReportMarkdown(input));
  writeFileAtomic(html, renderReportHtml(input));
  return { markdown, html };
}
