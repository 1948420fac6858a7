/**
 * The version of the @ssb/verifier whose grading curation's grader (and so a trainer grading through it, such as
 * @ssb/grpo) uses: it moves whenever grading does, so a run can record it.
 */
export { VERIFIER_VERSION } from "@ssb/verifier";
export {
  type BatchAdvantageOptions,
  batchAdvantages,
  SCALE_REWARDS,
  type ScaleRewards,
} from "./batch-advantages.js";
export {
  type CuratedProblem,
  curateProblem,
  type SelectionConfig,
  studentMessagesFor,
} from "./curate-problem.js";
export { type GradeRolloutsOptions, gradeRollout, gradeRollouts } from "./grade-rollouts.js";
export { type AnswerEquivalence, exactMatch, type GradeOutcome, type Grader } from "./grader.js";
export { type AnswerGroup, groupByEquivalence } from "./group-answers.js";
export {
  BINARY_REWARD,
  type GroupRewards,
  groupRewards,
  type RewardResponse,
  type RewardScheme,
} from "./group-rewards.js";
export {
  type AdvantageOptions,
  type AdvantageVariant,
  grpoAdvantages,
  type Rewards,
} from "./grpo-advantages.js";
export { type JsonlLine, readJsonl, readJsonlRecords } from "./jsonl.js";
export { type Journal, openJournal, problemIdKey } from "./jsonl-journal.js";
export { checkLogitCoverage, type LogitCoverageReport, type LogitRowLookup } from "./logit-coverage.js";
export type { DropRecord, PairRecord, TeacherPromptRecord } from "./pair-record.js";
export { gsm8kGold, parseProblem, parseRollout } from "./parse-records.js";
export { groupPassAtK, passAtK } from "./pass-at-k.js";
export { derivedSeed, hashString, mulberry32, pickIndex, type Rng, rngFor } from "./prng.js";
export { readProblemsFile } from "./problems-file.js";
export type { ChatMessage, FinishReason, GradedRollout, Problem, Rollout, Verdict } from "./records.js";
export {
  loadRepliesGenerator,
  parseGenerationResult,
  teacherMessagesHash,
  teacherRequestHash,
} from "./replies-file-generator.js";
export { rolloutPromptMismatch } from "./rollout-prompt-check.js";
export { readRolloutsFile } from "./rollouts-file.js";
export {
  type CurationConfig,
  type CurationOutputFiles,
  type CurationProgress,
  type CurationRunResult,
  outputFiles,
  type RunCurationInput,
  runCuration,
} from "./run-curation.js";
export {
  type ChosenCorrect,
  type ChosenWrong,
  countVerdicts,
  type DroppedProblem,
  type RolloutChoice,
  type RolloutCounts,
  type SelectedPair,
  type SelectionDropReason,
  type SelectionOptions,
  type SelectionResult,
  selectPair,
  type TieBreak,
  type WrongPickRule,
} from "./select-pair.js";
export {
  type CurationSummary,
  formatSummaryTable,
  type NumberStats,
  numberStats,
  summarize,
} from "./summary.js";
export type {
  GenerationOptions,
  GenerationRequest,
  GenerationResult,
  TeacherGenerator,
  TeacherSampling,
} from "./teacher-generator.js";
export {
  DEFAULT_TEMPLATE,
  EXACT_TEMPLATE,
  fillTemplate,
  MATH_TUTOR_SYSTEM_PROMPT,
  renderStudentMessages,
  renderTeacherMessages,
  TEMPLATE_FIELDS,
  type TeacherPromptFields,
  type TeacherTemplate,
  templatePlaceholders,
  validateTemplate,
} from "./teacher-prompt.js";
export {
  DEFAULT_TEACHER_SAMPLING,
  judgeTeacherReply,
  requestId,
  runTeacherStep,
  type TeacherAccepted,
  type TeacherAttempt,
  type TeacherOutcome,
  type TeacherRejected,
  type TeacherRejectReason,
  type TeacherStepOptions,
  type TeacherTask,
  teacherSamplingFor,
} from "./teacher-step.js";
export { parseTemplateFile, resolveTemplate } from "./template-file.js";
export {
  ANSWER_RULES,
  checkAnswerRules,
  DEFAULT_ANSWER_RULES,
  type ExtractionRule,
  isDefaultAnswerRules,
  makeVerifierEquivalence,
  makeVerifierGrader,
  verifierEquivalence,
  verifierGrader,
} from "./verifier-defaults.js";
