/**
 * Fresh GRPO problems for the embedded default model. The model's own training split and its held-out split
 * are regenerated from `training.json` (seed, sizes, difficulty) and excluded, so GRPO never trains on the
 * problems the model was pre-trained on or on the ones every evaluation holds out.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  type DifficultyOptions,
  defaultModelDir,
  generateProblems,
  generateSplits,
} from "@ssb/default-model";
import type { GrpoProblem } from "./problems.js";

interface TrainingSummary {
  seed: number;
  difficulty: DifficultyOptions;
  train: number;
  heldOut: number;
}

function readTrainingSummary(modelDir: string): TrainingSummary {
  const file = path.join(modelDir, "training.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    // A plain HF checkpoint has no training.json: its fresh / held-out problems cannot be told apart.
    throw new Error(
      `${file}: no such file; fresh and held-out problems exist only for the embedded default model (or a copy of its folder), drawn around its training.json`,
    );
  }
  const json = JSON.parse(text) as {
    seed?: unknown;
    difficulty?: DifficultyOptions;
    problems?: { train?: unknown; heldOut?: unknown };
  };
  const { seed, difficulty, problems } = json;
  if (typeof seed !== "number") throw new Error(`${file}: "seed" must be a number`);
  if (typeof problems?.train !== "number") throw new Error(`${file}: "problems.train" must be a number`);
  if (typeof problems.heldOut !== "number") throw new Error(`${file}: "problems.heldOut" must be a number`);
  return { seed, difficulty: difficulty ?? {}, train: problems.train, heldOut: problems.heldOut };
}

function splitsOf(modelDir: string) {
  const summary = readTrainingSummary(modelDir);
  return {
    summary,
    ...generateSplits({
      ...summary.difficulty,
      seed: summary.seed,
      train: summary.train,
      test: summary.heldOut,
    }),
  };
}

export interface DefaultProblemsOptions {
  count: number;
  /** Seed of the fresh draw (must differ from the model's training seed; default 1). */
  seed?: number;
  /** The model folder whose training.json defines what to exclude (default: @ssb/default-model's). */
  modelDir?: string;
  /** Prefix of the problem ids (default "grpo-"). */
  idPrefix?: string;
  /** Overrides of the model's difficulty (e.g. fewer steps for a weak model); exclusions still apply. */
  difficulty?: DifficultyOptions;
}

/** `count` word problems disjoint from the default model's training and held-out splits. */
export function freshDefaultProblems(options: DefaultProblemsOptions): GrpoProblem[] {
  const { summary, train, test } = splitsOf(options.modelDir ?? defaultModelDir());
  const seed = options.seed ?? 1;
  if (seed === summary.seed || seed === summary.seed + 1_000_003)
    throw new Error(`seed ${seed} is one of the default model's split seeds; pick another`);
  const exclude = new Set([...train, ...test].map((p) => p.question));
  return generateProblems({
    ...summary.difficulty,
    ...options.difficulty,
    seed,
    count: options.count,
    idPrefix: options.idPrefix ?? "grpo-",
    exclude,
  }).map((p) => ({ id: p.id, question: p.question, answer: p.answer }));
}

/**
 * The first `count` problems of the default model's held-out split (what every evaluation of the default
 * uses): for evaluating a GRPO adapter, never for training.
 */
export function heldOutDefaultProblems(count: number, modelDir?: string): GrpoProblem[] {
  const { test } = splitsOf(modelDir ?? defaultModelDir());
  if (count > test.length)
    throw new Error(`the held-out split has ${test.length} problems, asked for ${count}`);
  return test.slice(0, count).map((p) => ({ id: p.id, question: p.question, answer: p.answer }));
}
