export { PRETOKENIZE_PATTERN, preTokenize, toByteLevel } from "./byte-level.js";
export { defaultModelDir } from "./model-dir.js";
export { mulberry32, pick, type Rng, randInt } from "./rng.js";
export { buildTeacherStageMix, type TeacherStageMix, type TeacherStageOptions } from "./teacher-stage-mix.js";
export {
  type BuildTokenizerOptions,
  type BuiltTokenizer,
  buildTokenizer,
  CHATML_TEMPLATE,
  SPECIAL_TOKENS,
} from "./tokenizer-builder.js";
export { buildTrainingMix, type MixExample, type TrainingMixOptions } from "./training-mix.js";
export {
  type DifficultyOptions,
  drawProblem,
  generateProblems,
  generateSplits,
  MISTAKE_PRIORITY,
  type MistakeKind,
  type ProblemOptions,
  type SplitOptions,
  type WordProblem,
  type WrongSolution,
} from "./word-problems.js";
