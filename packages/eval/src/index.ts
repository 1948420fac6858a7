export { isTemplateDate } from "@ssb/model";
export {
  type BenchmarkSpec,
  BUILTIN_BENCHMARKS,
  GOLD_FORMATS,
  type GoldFormat,
  goldAnswer,
  parseBenchmarkSpec,
} from "./benchmarks.js";
export {
  type BootstrapOptions,
  bootstrapMeanCI,
  bootstrapMeans,
  type Interval,
  mean,
  pairedBootstrapDiffCI,
  quantileSorted,
} from "./bootstrap.js";
export {
  type BenchmarkComparison,
  COMPARISON_FORMAT,
  compareRuns,
  type ProblemOutcome,
  type RunComparison,
} from "./compare.js";
export { packageDataDir } from "./data-dir.js";
export { formatPercent } from "./format-percent.js";
export type {
  BenchmarkNeeds,
  GeneratedSample,
  GenerationPrompt,
  GenerationRequest,
  SampleGenerator,
} from "./generator.js";
export {
  type LoadBenchmarkOptions,
  type LoadedBenchmark,
  loadBenchmark,
  parseBenchmarkText,
  resolveBenchmark,
} from "./load-benchmark.js";
export {
  classScores,
  type MajAtKOptions,
  majAtK,
  type VoteClasses,
  voteClasses,
  voteScore,
} from "./majority-vote.js";
export { chiSquare1Sf, exactBinomialTwoSided, type McNemarResult, mcnemarTest } from "./mcnemar.js";
export {
  fromRolloutGenerator,
  type OpenModelOptions,
  openModelGenerator,
  type RolloutAdapterOptions,
  type RolloutGeneratorLike,
} from "./model-generator.js";
export { formerModelIdFor, modelIdFor } from "./model-name.js";
export { defaultKs, passAtK } from "./pass-at-k.js";
export { hashString, mulberry32, type Rng, rngFor, sampleSeed } from "./prng.js";
export { buildMessages, DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, type PromptOptions } from "./prompt.js";
export { parseRecord, type ReadRecordsResult, readRecords } from "./records-file.js";
export { loadRepliesGenerator } from "./replies-generator.js";
export { type HtmlReportInput, renderHtmlReport } from "./report-html.js";
export { comparisonMarkdown, formatInterval, summaryMarkdown } from "./report-markdown.js";
// The notes under the reports' tables (what a "(no CI)" means, small benchmarks, partial runs, ...), for
// reports of your own.
export { comparisonNotes, formatPValue, summaryNotes } from "./report-notes.js";
export {
  benchmarkSeed,
  type CheckRunFolderInput,
  checkRunFolder,
  type EvalConfig,
  type OutputFiles,
  outputFiles,
  type RunEvalInput,
  type RunEvalResult,
  type RunProgress,
  runEval,
} from "./run-eval.js";
export {
  type ModelIdentity,
  manifestDifference,
  RUN_FORMAT,
  type RunManifest,
  readRunManifest,
} from "./run-manifest.js";
export {
  type BenchmarkSummary,
  type GroupSummary,
  groupRecords,
  type LengthSummary,
  type RunInfo,
  type RunSummary,
  SUMMARY_FORMAT,
  type SummarizeOptions,
  summarizeBenchmark,
  summarizeRecords,
} from "./summarize.js";
export type { ChatMessage, FinishReason, Problem, SampleRecord, SamplingParams } from "./types.js";
export { installedVerifierVersion } from "./verifier-version.js";
export { type WrittenReports, writeReports } from "./write-reports.js";
