export {
  checkAnswerRules,
  DEFAULT_ANSWER_RULES,
  EXTRACTION_RULES,
  type ExtractionRule,
} from "./answer-rules.js";
export {
  type DefaultProblemsOptions,
  freshDefaultProblems,
  heldOutDefaultProblems,
} from "./default-problems.js";
export { type EvaluatePolicyOptions, evaluatePolicy, type PolicyEvaluation } from "./evaluate-policy.js";
export {
  GRPO_STATE_FILE,
  type GrpoState,
  latestGrpoCheckpoint,
  pruneGrpoCheckpoints,
  restoreGrpoCheckpoint,
  saveGrpoCheckpoint,
} from "./grpo-checkpoint.js";
export {
  applyOverride,
  DEFAULT_GRPO_CONFIG,
  type GrpoConfig,
  type GrpoConfigInput,
  type GrpoOptimizerSettings,
  type GrpoRewardSettings,
  type GrpoSamplingSettings,
  type GrpoVariant,
  resolveGrpoConfig,
  trajectoryDifferences,
  trajectoryKey,
} from "./grpo-config.js";
export {
  type ClipSettings,
  type GrpoLossInput,
  type GrpoLossParts,
  grpoLoss,
  type LossAggregation,
  sequenceTokenWeights,
  tokenWeights,
} from "./grpo-loss.js";
export {
  appendGrpoMetrics,
  type GrpoStepMetrics,
  grpoPlots,
  type RoundPolicySums,
  readGrpoMetrics,
  roundPolicyMetrics,
  truncateGrpoMetrics,
} from "./grpo-metrics.js";
export {
  type CollatedSequences,
  collateSequences,
  logProbsNoGrad,
  type PolicyGradientOptions,
  type PolicyGradients,
  policyGradients,
  referenceModel,
  sampledLogProbs,
  type TrainSequence,
} from "./grpo-step.js";
export { type PolicyLora, PolicySync, type PolicySyncTiming } from "./policy-sync.js";
export { problemsForStep } from "./problem-order.js";
export { type GrpoProblem, readProblems } from "./problems.js";
export { checkGroupReward, type GroupReward, type GroupRewardFunction, verifierReward } from "./rewards.js";
export {
  type RoundSequenceOptions,
  type RoundSequences,
  roundSequences,
} from "./round-sequences.js";
export { type RewardValues, type RunEvalSettings, readRunEvalSettings } from "./run-eval-settings.js";
export { type GrpoResult, type RunGrpoOptions, runGrpo } from "./run-grpo.js";
export { type SampledCompletion, type SampleGroupsOptions, sampleGroups } from "./sample-groups.js";
export { type Summary, summarize } from "./stats.js";
