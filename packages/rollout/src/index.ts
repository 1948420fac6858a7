export { type CliIo, type CliOptions, CliUsageError, parseCliArgs, runCli, USAGE } from "./cli-main.js";
export {
  type DecoderIo,
  describeDecoderIo,
  type IntDtype,
  type KvDtype,
  type KvLayout,
  type KvPair,
  type KvShapeHints,
  parseKvName,
  type ValueInfo,
} from "./decoder-io.js";
export {
  type DecoderOptions,
  DecoderSession,
  defaultKvOnDevice,
  type ForwardInput,
  type ForwardOutput,
} from "./decoder-session.js";
export { RolloutError } from "./errors.js";
export {
  CUDA_MISSING,
  cudaProviderInstalled,
  EXECUTION_PROVIDERS,
  type ExecutionProviderName,
  type ModelSource,
  type OpenedSession,
  onnxRuntimeInfo,
  openSession,
  type SessionSettings,
} from "./execution-provider.js";
export {
  defaultCaptureKey,
  type FinishedSequence,
  type GenerateOptions,
  type GenerateProgress,
  Generator,
  type GeneratorOptions,
  type KvRow,
  type LogitCaptureOptions,
  type PaddedLogitsSink,
  type PromptInput,
  type RefillPolicy,
  type SequenceTiming,
} from "./generator.js";
export { jobChatTemplateKwargs } from "./job-template-kwargs.js";
export {
  allocKv,
  gatherKv,
  type KvArray,
  type KvBatch,
  type KvGeometry,
  type KvRowSource,
  kvHeadroom,
  withCapacity,
} from "./kv-batch.js";
export { argmax, logSumExp, type RowTop, topK } from "./logit-math.js";
export { modelFolder, resolveModelFile } from "./model-files.js";
export { hashString, mix32, type StreamKey, streamKey, uniformAt } from "./prng.js";
export { type ProblemPrompt, parseProblemRecord, readProblemsFile } from "./problems-file.js";
export { createRolloutProgress, type RolloutProgress, rolloutProgressExtra } from "./progress.js";
export {
  type JournalRecord,
  openRolloutJournal,
  pairKey,
  type RolloutJournal,
  type RolloutRecord,
} from "./rollout-journal.js";
export {
  captureKeyFor,
  type LogitCaptureJob,
  MAX_JOB_PAIRS,
  type RolloutJobOptions,
  type RolloutJobSummary,
  runRollouts,
} from "./run-rollouts.js";
export {
  runTeacherReplies,
  type TeacherRepliesJobOptions,
  type TeacherReplyRecord,
} from "./run-teacher-replies.js";
export {
  applyRepetitionPenalty,
  type Candidates,
  candidates,
  type SamplerSettings,
  sampleFromRow,
  sampleFromTop,
  samplingDistribution,
  servedByTop,
  topNeedsRow,
} from "./sampler.js";
export { DEFAULT_SAMPLING, resolveSampling, type SamplingParams } from "./sampling-params.js";
export { type ScoredSequence, type ScoreOptions, type ScoreRequest, scoreContinuations } from "./score.js";
export type { FinishReason } from "./sequence.js";
export { MATH_TUTOR_SYSTEM_PROMPT } from "./system-prompt.js";
export {
  type CreateTeacherGeneratorOptions,
  createTeacherGenerator,
  type TeacherGenerationOptions,
  type TeacherGenerationRequest,
  type TeacherGenerationResult,
  type TeacherGeneratorAdapter,
  type TeacherSamplingInput,
} from "./teacher-generator.js";
export {
  parseTeacherPromptLine,
  readTeacherPromptsFile,
  type TeacherPromptLine,
} from "./teacher-prompts-file.js";
export { type JobTemplateDate, jobTemplateDate } from "./template-date.js";
export { type BatchTop, rowTop, TopKSelector } from "./top-k-selector.js";
