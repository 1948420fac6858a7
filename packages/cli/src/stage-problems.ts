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
import type { PipelineConfig } from "./config-schema.js";
import { writeFileAtomic } from "./work-dir.js";

export interface ProblemFiles {
  train: string;
  eval: string;
}

export function problemFiles(dir: string): ProblemFiles {
  return { train: path.join(dir, "train.jsonl"), eval: path.join(dir, "eval.jsonl") };
}

const toJsonl = (problems: readonly Problem[]): string =>
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

async function fromFile(file: string, limit: number): Promise<Problem[]> {
  const problems = await readProblemsFile(file);
  return problems.slice(0, limit);
}

export interface ProblemsStageResult {
  files: ProblemFiles;
  stats: { train: number; eval: number; source: string };
}

export async function runProblemsStage(config: PipelineConfig, dir: string): Promise<ProblemsStageResult> {
  mkdirSync(dir, { recursive: true });
  let sets: { train: Problem[]; eval: Problem[] };
  const { trainFile, evalFile } = config.problems;
  if (trainFile !== undefined || evalFile !== undefined) {
    if (trainFile === undefined || evalFile === undefined) {
      throw new Error("problems.trainFile and problems.evalFile go together: give both or neither");
    }
    sets = {
      train: await fromFile(trainFile, config.problems.train),
      eval: await fromFile(evalFile, config.problems.eval),
    };
  } else {
    sets = generated(config);
  }
  const files = problemFiles(dir);
  writeFileAtomic(files.train, toJsonl(sets.train));
  writeFileAtomic(files.eval, toJsonl(sets.eval));
  return {
    files,
    stats: {
      train: sets.train.length,
      eval: sets.eval.length,
      source: trainFile ? `${trainFile}, ${evalFile}` : "@ssb/default-model generator",
    },
  };
}
