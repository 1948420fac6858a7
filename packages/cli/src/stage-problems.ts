/**
 * Stage 1, problems: the problems SSB learns from (train.jsonl) and the held-out problems both models are
 * evaluated on (eval.jsonl), as {id, question, answer} JSONL. By default they come from @ssb/default-model's
 * seeded generator: the held-out split is the one the default model was pre-trained without, and the train
 * problems are fresh draws disjoint from both of its splits.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Problem, readProblemsFile } from "@ssb/curation";
import { generateProblems, generateSplits } from "@ssb/default-model";
import { writeFileAtomic } from "@ssb/durable-files";
import type { PipelineConfig } from "./config-schema.js";

export interface ProblemFiles {
  train: string;
  eval: string;
}

export function problemFiles(dir: string): ProblemFiles {
  return { train: path.join(dir, "train.jsonl"), eval: path.join(dir, "eval.jsonl") };
}

/** Problems as the {id, question, answer} JSONL every stage reads as written (the gold, not a solution). */
export const problemsJsonl = (problems: readonly Problem[]): string =>
  problems.map((p) => `${JSON.stringify({ id: p.id, question: p.question, answer: p.answer })}\n`).join("");

/** Seed offset of the SSB draw, distinct from the generator's train (+0) and held-out (+1,000,003) streams. */
const SSB_SEED_OFFSET = 2_000_029;

function generated(config: PipelineConfig): { train: Problem[]; eval: Problem[] } {
  const g = config.problems.generator;
  const difficulty = {
    minSteps: g.minSteps,
    maxSteps: g.maxSteps,
    maxStart: g.maxStart,
    maxOperand: g.maxOperand,
  };
  if (config.problems.eval > g.heldOutProblems) {
    throw new Error(
      `problems.eval (${config.problems.eval}) is larger than the held-out split (problems.generator.heldOutProblems = ${g.heldOutProblems})`,
    );
  }
  const splits = generateSplits({
    seed: g.seed,
    train: g.pretrainProblems,
    test: g.heldOutProblems,
    ...difficulty,
  });
  const exclude = new Set([...splits.train, ...splits.test].map((p) => p.question));
  const fresh = generateProblems({
    ...difficulty,
    seed: config.seed + SSB_SEED_OFFSET,
    count: config.problems.train,
    idPrefix: "ssb-",
    exclude,
  });
  return { train: fresh, eval: splits.test.slice(0, config.problems.eval) };
}

/** Questions compared as text, blind to spacing: a re-wrapped copy of a question is the same question. */
const questionKey = (question: string): string => question.trim().replace(/\s+/g, " ");

/** How many of `evaluation` ask a question that is also among `train`'s. */
export function countOverlap(train: readonly Problem[], evaluation: readonly Problem[]): number {
  const asked = new Set(train.map((p) => questionKey(p.question)));
  return evaluation.filter((p) => asked.has(questionKey(p.question))).length;
}

export interface ProblemSets {
  train: Problem[];
  eval: Problem[];
  source: string;
  /** Evaluation problems whose question is also a training problem's. */
  overlapping: number;
  /** One line each, for stderr: counts cut to a file's size, evaluation problems that are also trained on. */
  warnings: string[];
}

/** The first `limit` problems of a file; a limit past its end takes them all, with a warning. */
async function fromFile(
  file: string,
  limit: number,
  field: string,
  where: string,
  warnings: string[],
): Promise<Problem[]> {
  const problems = await readProblemsFile(file);
  if (limit > problems.length) {
    warnings.push(
      `${where}: ${field} is ${limit} but ${file} holds ${problems.length} problems: all ${problems.length} are used`,
    );
  }
  return problems.slice(0, limit);
}

/**
 * The train and evaluation problems a run uses (read or drawn, not yet written), with what the user should be
 * told about them. `where` names the config for the warnings.
 */
export async function selectProblems(config: PipelineConfig, where: string): Promise<ProblemSets> {
  const { trainFile, evalFile } = config.problems;
  const warnings: string[] = [];
  let sets: { train: Problem[]; eval: Problem[] };
  if (trainFile !== undefined || evalFile !== undefined) {
    if (trainFile === undefined || evalFile === undefined) {
      throw new Error("problems.trainFile and problems.evalFile go together: give both or neither");
    }
    sets = {
      train: await fromFile(trainFile, config.problems.train, "problems.train", where, warnings),
      eval: await fromFile(evalFile, config.problems.eval, "problems.eval", where, warnings),
    };
  } else {
    sets = generated(config);
  }
  const source = trainFile ? `${trainFile}, ${evalFile}` : "@ssb/default-model generator";
  // Generated problems are disjoint by construction; files are whatever the user gathered.
  const overlap = countOverlap(sets.train, sets.eval);
  if (overlap > 0) {
    warnings.push(
      `${where}: ${overlap} of the ${sets.eval.length} evaluation problems (${evalFile ?? "held-out split"}) ask the same question as a training problem (${trainFile ?? "generated"}); evaluating on training data inflates the results`,
    );
  }
  return { ...sets, source, overlapping: overlap, warnings };
}

export interface ProblemsStageResult {
  files: ProblemFiles;
  stats: { train: number; eval: number; source: string; overlapping: number };
}

/** Write the problem sets (selectProblems' when the caller has them already, for its warnings). */
export async function runProblemsStage(
  config: PipelineConfig,
  dir: string,
  selected?: ProblemSets,
): Promise<ProblemsStageResult> {
  const sets = selected ?? (await selectProblems(config, "config"));
  mkdirSync(dir, { recursive: true });
  const files = problemFiles(dir);
  writeFileAtomic(files.train, problemsJsonl(sets.train));
  writeFileAtomic(files.eval, problemsJsonl(sets.eval));
  return {
    files,
    stats: {
      train: sets.train.length,
      eval: sets.eval.length,
      source: sets.source,
      overlapping: sets.overlapping,
    },
  };
}
