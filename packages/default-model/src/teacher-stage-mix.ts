import { buildTrainingMix, type MixExample } from "./training-mix.js";
import { type DifficultyOptions, generateProblems, type WordProblem } from "./word-problems.js";

export interface TeacherStageOptions {
  /** Seed of the stage (its hard problems and its mix draws). */
  seed: number;
  /** The pre-training problems: the first `easy` go in the teacher format, the next `replay` as students. */
  train: readonly WordProblem[];
  /** Questions the stage must never show (the held-out split). */
  heldOut: ReadonlySet<string>;
  /** The pre-training difficulty; the hard problems raise its number sizes. */
  difficulty: DifficultyOptions;
  /** How many hard problems, in the teacher format. Default 2000. */
  hard?: number;
  /** Largest starting amount and operand of the hard problems. Defaults 30 and 9. */
  hardMaxStart?: number;
  hardMaxOperand?: number;
  /** Pre-training problems in the teacher format. Default 1000. */
  easy?: number;
  /** Pre-training problems as student examples (with the usual share of mistakes). Default 1500. */
  replay?: number;
}

export interface TeacherStageMix {
  examples: MixExample[];
  hardProblems: WordProblem[];
}

/**
 * The data of the teacher stage, a short second training stage after pre-training. Pre-trained, the model
 * solves a teacher prompt from its question and ignores the correct attempt it is shown: on problems it can
 * solve, copying lowers the loss hardly at all. So this stage shows it teacher prompts for problems with larger
 * numbers than it was trained on, where reading the correct attempt is what gives the right reply, plus teacher
 * prompts and student examples of its own difficulty so that those behaviours stay.
 */
export function buildTeacherStageMix(options: TeacherStageOptions): TeacherStageMix {
  const easy = options.easy ?? 1000;
  const replay = options.replay ?? 1500;
  if (easy + replay > options.train.length)
    throw new Error(
      `teacher stage: easy (${easy}) + replay (${replay}) exceed the ${options.train.length} training problems`,
    );
  const hardProblems = generateProblems({
    seed: options.seed,
    count: options.hard ?? 2000,
    idPrefix: "hard-",
    ...options.difficulty,
    maxStart: options.hardMaxStart ?? 30,
    maxOperand: options.hardMaxOperand ?? 9,
    exclude: options.heldOut,
  });
  const teacherOnly = (mix: MixExample[]) => mix.filter((e) => e.kind === "teacher");
  const examples = [
    ...teacherOnly(buildTrainingMix(hardProblems, { seed: options.seed, teacherShare: 1 })),
    ...teacherOnly(
      buildTrainingMix(options.train.slice(0, easy), { seed: options.seed + 1, teacherShare: 1 }),
    ),
    ...buildTrainingMix(options.train.slice(easy, easy + replay), {
      seed: options.seed + 2,
      teacherShare: 0,
    }),
  ];
  return { examples, hardProblems };
}
