// The bar every ssb command shows, for a count that is not training steps (`ssb-grpo eval`'s samples).
export { createProgressBar, type ProgressBar, type ProgressBarOptions } from "@ssb/cli-kit";
export { ADAMW_DEFAULTS, AdamW, type AdamWOptions, globalNorm } from "./adamw.js";
export {
  BACKEND_PREFERENCES,
  type BackendInfo,
  type BackendName,
  type BackendPreference,
  selectBackend,
} from "./backend.js";
export {
  type BackendSpan,
  backendChangeNote,
  storedBackendSpans,
  withBackendSpan,
} from "./backend-record.js";
export {
  type BatchPlanOptions,
  type CollatedBatch,
  collate,
  type PlannedStep,
  planSteps,
} from "./batching.js";
export {
  type ChatTemplateKwargsInputs,
  chatTemplateKwargsConflict,
  chooseChatTemplateKwargs,
} from "./chat-template-kwargs.js";
export {
  latestCheckpointWith,
  restoreLoraCheckpoint,
  restoreOptimizerState,
  saveLoraCheckpoint,
  saveOptimizerState,
  writeCheckpointDir,
} from "./checkpoint-files.js";
export {
  backendFlag,
  type ErrorStream,
  type FlagOptions,
  type FlagsConfig,
  type FlagValues,
  parseFlags,
  reportCliError,
  UsageError,
} from "./cli-flags.js";
export { setConfigPath } from "./config-override.js";
export { DataParallelPool, type ModelSource, parallelGradients, splitStep } from "./data-parallel.js";
export {
  CORRUPT_GRADIENT_FACTOR,
  CorruptGradientError,
  createGradientGuard,
  FIRST_STEP_GRADIENT_CEILING,
} from "./gradient-guard.js";
export { type Divergence, type KdLossOptions, type KdLossParts, kdLoss } from "./kd-loss.js";
export {
  checkLoraRank,
  disposeLora,
  initLora,
  isTargetModule,
  type LoraLayer,
  type LoraSettings,
  loraConfigFrom,
  loraFromAdapter,
  loraToAdapter,
  PAPER_LORA,
  targetedProjections,
  toPeftLayout,
} from "./lora.js";
export { crossEntropy } from "./loss-ce.js";
export { forwardKl } from "./loss-forward-kl.js";
export { jsd } from "./loss-jsd.js";
export { reverseKl } from "./loss-reverse-kl.js";
export { matMul2d, withSharedTransposes } from "./matmul.js";
export {
  appendMetrics,
  describeTruncation,
  lossCurveSvg,
  type MetricsTruncation,
  readMetrics,
  type Series,
  type StepMetrics,
  svgLinePlot,
  truncateMetrics,
} from "./metrics.js";
export {
  baseTensors,
  type DecoderInput,
  type DecoderLayer,
  type DecoderModel,
  type DecoderWeights,
  disposeDecoder,
  type ForwardOptions,
  forward,
  type Linear,
  loadDecoder,
  type ReadTensor,
  type RowSegment,
  rmsNorm,
  type Trainable,
  trainableVariables,
  weightDecayMask,
} from "./model.js";
export { claimRunFolder, freshStartConflict } from "./output-folder.js";
export {
  type LoadPairsOptions,
  loadPairExamples,
  loadSftExamples,
  type PairRecord,
  type PromptMode,
  type PromptTokenOptions,
  parsePair,
  readJsonl,
  type SftRecord,
  studentPromptIds,
} from "./pairs-data.js";
export { createProgress, type Progress } from "./progress.js";
export { qwen2Config, qwen3Config, randomWeights } from "./random-weights.js";
export { type Reduction, rowWeights } from "./reduction.js";
export { createRng, type Rng, seedFrom, shuffled } from "./rng.js";
export {
  type RunTrainingOptions,
  runPromptSettings,
  runTraining,
  unusedKwargsWarning,
} from "./run-training.js";
export { saveFullModel, saveLoraAdapter } from "./save-model.js";
export { learningRate, type ScheduleKind, type ScheduleOptions, warmupStepsFor } from "./schedule.js";
export { settingDifferences } from "./setting-differences.js";
export { type StepShape, stepFlops } from "./step-flops.js";
export { estimateStepMemory, type StepMemory } from "./step-memory.js";
export { type SignalStop, stopOnSignals, yieldToSignals } from "./stop-signals.js";
export { logProbsAtIds, studentSupportLogProbs, tailLogProb, teacherSupportProbs } from "./student-topk.js";
export { unknownTargetModules } from "./target-modules.js";
export {
  denseTeacherProbs,
  denseTopkMask,
  type TeacherTargets,
  type TopkRowsInput,
  teacherTargets,
} from "./teacher-targets.js";
export { chooseTemplateDate, type TemplateDateChoice, type TemplateDateInputs } from "./template-date.js";
export {
  checkpointDirName,
  latestCheckpoint,
  pruneCheckpoints,
  restoreTrainingCheckpoint,
  saveTrainingCheckpoint,
  TRAINER_STATE_FILE,
  type TrainerState,
} from "./train-checkpoint.js";
export {
  DEFAULT_TRAIN_CONFIG,
  type LossSettings,
  MAX_SEED,
  type OptimizerSettings,
  resolveTrainConfig,
  type TrainConfig,
  type TrainConfigInput,
  trainSettingNames,
} from "./train-config.js";
export { type StepGradients, stepGradients, stepRowWeights } from "./train-step.js";
export { NonFiniteLossError, type TrainOptions, type TrainResult, train } from "./trainer.js";
export {
  checkExampleVocab,
  exampleFromPromptAndReply,
  type TeacherRows,
  type TrainingExample,
  truncateExample,
} from "./training-example.js";
export { isWasmAbort, WASM_HEAP_BYTES } from "./wasm-heap.js";
export { installWasmKernels, restoreStockWasmKernels, wasmKernelsInstalled } from "./wasm-kernels.js";
