export {
  type CommandIo,
  CURATE_USAGE,
  curateCommand,
  DISTILL_USAGE,
  distillCommand,
  EVAL_USAGE,
  EXPORT_USAGE,
  evalCommand,
  exportCommand,
  rolloutCommand,
  UsageError,
  VERIFY_USAGE,
  type VerifyIo,
  verifyCommand,
} from "./commands.js";
export {
  type PipelineConfig,
  pipelineSchema,
  type SamplingConfig,
} from "./config-schema.js";
export type { ConfigSource } from "./config-source.js";
export { DEFAULT_CONFIG } from "./default-config.js";
export {
  type DoctorArea,
  type DoctorCheck,
  type DoctorOptions,
  doctorPasses,
  formatDoctor,
  runDoctor,
} from "./doctor.js";
export {
  ConfigError,
  deepMerge,
  type LoadedConfig,
  loadConfig,
  parseConfigText,
  resolveConfig,
} from "./load-config.js";
export { type MainIo, main, USAGE } from "./main.js";
export { type ReportInput, renderReportHtml, renderReportMarkdown } from "./report.js";
export { createReporter, type Reporter } from "./reporter.js";
export { affectedStage, type PipelineResult, type RunPipelineOptions, runPipeline } from "./run-pipeline.js";
export { HELD_OUT, heldOutSpec } from "./stage-eval.js";
export { isStageName, STAGES, type StageName } from "./stages.js";
export { summaryJson, summaryTable } from "./summary-table.js";
export { clearFrom, readStageRecord, STAGE_FILE, type StageRecord } from "./work-dir.js";
