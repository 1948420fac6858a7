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
  DecoderSession,
  type ForwardInput,
  type ForwardOutput,
  resolveModelFile,
} from "./decoder-session.js";
export { RolloutError } from "./errors.js";
export {
  CUDA_MISSING,
  cudaProviderInstalled,
  EXECUTION_PROVIDERS,
  type ExecutionProviderName,
  type OpenedSession,
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
  type LogitCaptureOptions,
  type PromptInput,
  type SequenceTiming,
} from "./generator.js";
export {
  allocKv,
  gatherKv,
  type KvArray,
  type KvBatch,
  type KvGeometry,
  type KvRowSource,
} from "./kv-batch.js";
export { argmax, logSumExp, topK } from "./logit-math.js";
export { hashString, mix32, type StreamKey, streamKey, uniformAt } from "./prng.js";
export {
  applyRepetitionPenalty,
  type Candidates,
  candidates,
  type SamplerSettings,
  sampleFromRow,
  samplingDistribution,
} from "./sampler.js";
export { DEFAULT_SAMPLING, resolveSampling, type SamplingParams } from "./sampling-params.js";
export { type ScoredSequence, type ScoreOptions, type ScoreRequest, scoreContinuations } from "./score.js";
export type { FinishReason } from "./sequence.js";
