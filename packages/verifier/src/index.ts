export { binaryInputRefusal } from "./binary-input.js";
export { BudgetExceededError } from "./budget.js";
export { runCli, type VerifyCliIo, verifyHelp } from "./cli-main.js";
export { type Comparison, compareAnswers, isEquivalent } from "./equivalence.js";
export { type Box, extractAnswer, findBoxes } from "./extract.js";
export { grade } from "./grade.js";
export { type GradedLine, type GradeLineOptions, gradeJsonLine } from "./jsonl-grading.js";
export { warmUpEngine as warmUp } from "./math-json.js";
export { type NormalizedAnswer, normalizeAnswer } from "./normalize.js";
export { createErrorDigest, type ErrorDigest } from "./repeated-errors.js";
export {
  type AccuracyRewardOptions,
  accuracyReward,
  type ChatMessage,
  type Completion,
  completionText,
  type RewardFunction,
  type RewardInputs,
} from "./reward.js";
export { type AnswerShape, shapeOf } from "./structure.js";
export {
  ALL_EXTRACTION_RULES,
  DEFAULT_EXTRACTION_RULES,
  type EquivalenceOptions,
  type Extraction,
  type ExtractionRule,
  type ExtractOptions,
  type GradeOptions,
  type GradeResult,
  type Verdict,
} from "./types.js";
export { VERIFIER_VERSION } from "./version.js";
