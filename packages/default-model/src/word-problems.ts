import { mulberry32, pick, type Rng, randInt } from "./rng.js";
import { FRIENDS, PEOPLE, type Person, THINGS, type Thing } from "./vocabulary.js";

/** The kinds of recurring mistake a solution can carry; each is how a careless student really goes wrong. */
export type MistakeKind =
  | "sign-slip"
  | "order-of-operations"
  | "add-instead-of-multiply"
  | "subtract-instead-of-divide"
  | "dropped-step";

/** Mistakes a problem admits, most characteristic first: the first one is the problem's "usual" mistake. */
export const MISTAKE_PRIORITY: readonly MistakeKind[] = [
  "order-of-operations",
  "sign-slip",
  "add-instead-of-multiply",
  "subtract-instead-of-divide",
  "dropped-step",
];

export interface WordProblem {
  id: string;
  question: string;
  /** The true final value, as an integer string. */
  answer: string;
  /** Worked, step-by-step solution ending in `\boxed{answer}`. */
  solution: string;
  /** Number of arithmetic steps (+ − × ÷ lines) in the correct solution. */
  steps: number;
  /** Solutions carrying each admissible mistake (the wrong value is propagated to the end). */
  mistakes: WrongSolution[];
}

export interface WrongSolution {
  kind: MistakeKind;
  solution: string;
  answer: string;
}

export interface DifficultyOptions {
  /** Fewest and most arithmetic steps. Default 2..5. */
  minSteps?: number;
  maxSteps?: number;
  /** Largest starting amount. Default 40. */
  maxStart?: number;
  /** Largest operand in a step (counts, group sizes). Default 12. */
  maxOperand?: number;
}

interface Story {
  person: Person;
  thing: Thing;
}

/** One event in a story: its sentence, how it changes the count, and how a student may get it wrong. */
interface Operation {
  sentence: string;
  /** Arithmetic lines this operation adds to a correct solution. */
  steps: number;
  apply(value: number): { lines: string[]; value: number } | null;
  mistake?: { kind: MistakeKind; apply(value: number): { lines: string[]; value: number } | null };
}

const nonNegativeInteger = (v: number): boolean => Number.isInteger(v) && v >= 0;

function gain(rng: Rng, s: Story, max: number): Operation {
  const n = randInt(rng, 2, max);
  const verb = pick(rng, [`finds ${n} more`, `buys ${n} more`, `gets ${n} more`, `receives ${n}`]);
  const sentence = verb.startsWith("receives")
    ? `Then ${s.person.name} receives ${n} ${s.thing.plural} from ${pick(rng, FRIENDS)}.`
    : `Then ${s.person.name} ${verb} ${s.thing.plural}.`;
  return {
    sentence,
    steps: 1,
    apply: (v) => ({
      lines: [`After that, ${s.person.name} ${s.person.has} ${v} + ${n} = ${v + n} ${s.thing.plural}.`],
      value: v + n,
    }),
    mistake: { kind: "dropped-step", apply: (v) => ({ lines: [], value: v }) },
  };
}

function lose(rng: Rng, s: Story, max: number): Operation {
  const n = randInt(rng, 1, max);
  const sentence = pick(rng, [
    `${s.person.pronoun} gives ${n} ${s.thing.plural} to ${pick(rng, FRIENDS)}.`,
    `${s.person.pronoun} loses ${n} ${s.thing.plural} on the way home.`,
    `${s.person.pronoun} uses ${n} ${s.thing.plural} for a school project.`,
  ]);
  const line = (v: number, r: number, op: string) =>
    `${s.person.pronoun} is left with ${v} ${op} ${n} = ${r} ${s.thing.plural}.`;
  return {
    sentence,
    steps: 1,
    apply: (v) => (v - n >= 0 ? { lines: [line(v, v - n, "-")], value: v - n } : null),
    mistake: { kind: "sign-slip", apply: (v) => ({ lines: [line(v, v + n, "+")], value: v + n }) },
  };
}

function groups(rng: Rng, s: Story, max: number): Operation {
  const k = randInt(rng, 2, Math.min(6, max));
  const n = randInt(rng, 2, max);
  return {
    sentence: `${s.person.pronoun} buys ${k} ${s.thing.containers} with ${n} ${s.thing.plural} in each ${s.thing.container}.`,
    steps: 2,
    apply: (v) => ({
      lines: [
        `The ${s.thing.containers} hold ${k} * ${n} = ${k * n} ${s.thing.plural}.`,
        `So ${s.person.name} ${s.person.has} ${v} + ${k * n} = ${v + k * n} ${s.thing.plural}.`,
      ],
      value: v + k * n,
    }),
    mistake: {
      kind: "order-of-operations",
      apply: (v) => ({
        lines: [
          `So ${s.person.name} ${s.person.has} (${v} + ${k}) * ${n} = ${(v + k) * n} ${s.thing.plural}.`,
        ],
        value: (v + k) * n,
      }),
    },
  };
}

const MULTIPLIERS: readonly [string, number][] = [
  ["doubles", 2],
  ["triples", 3],
];

function multiply(rng: Rng, s: Story): Operation {
  const [verb, k] = pick(rng, MULTIPLIERS);
  return {
    sentence: `${s.person.pronoun} ${verb} the number of ${s.thing.plural} ${s.person.pronoun.toLowerCase()} ${s.person.has}.`,
    steps: 1,
    apply: (v) => ({
      lines: [
        `Now ${s.person.pronoun.toLowerCase()} ${s.person.has} ${v} * ${k} = ${v * k} ${s.thing.plural}.`,
      ],
      value: v * k,
    }),
    mistake: {
      kind: "add-instead-of-multiply",
      apply: (v) => ({
        lines: [
          `Now ${s.person.pronoun.toLowerCase()} ${s.person.has} ${v} + ${k} = ${v + k} ${s.thing.plural}.`,
        ],
        value: v + k,
      }),
    },
  };
}

function split(rng: Rng, s: Story): Operation {
  const k = randInt(rng, 2, 5);
  const line = (v: number, r: number, op: string) =>
    `Each ${s.thing.container} gets ${v} ${op} ${k} = ${r} ${s.thing.plural}, and ${s.person.pronoun.toLowerCase()} keeps one.`;
  return {
    sentence: `${s.person.pronoun} shares the ${s.thing.plural} equally among ${k} ${s.thing.containers} and keeps one ${s.thing.container}.`,
    steps: 1,
    apply: (v) => (v % k === 0 && v > 0 ? { lines: [line(v, v / k, "/")], value: v / k } : null),
    mistake: {
      kind: "subtract-instead-of-divide",
      apply: (v) => (v - k >= 0 ? { lines: [line(v, v - k, "-")], value: v - k } : null),
    },
  };
}

function runChain(
  start: number,
  ops: Operation[],
  wrongAt: number | null,
): { lines: string[]; value: number } | null {
  const lines: string[] = [];
  let value = start;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Operation;
    const result = i === wrongAt ? (op.mistake?.apply(value) ?? null) : op.apply(value);
    if (result === null || !nonNegativeInteger(result.value)) return null;
    lines.push(...result.lines);
    value = result.value;
  }
  return { lines, value };
}

function render(story: Story, start: number, lines: string[], value: number): string {
  return [
    `${story.person.name} starts with ${start} ${story.thing.plural}.`,
    ...lines,
    `The answer is \\boxed{${value}}.`,
  ].join("\n");
}

/**
 * One GSM8K-style word problem from a seeded stream: a person, a thing, a starting amount, and 2–5 arithmetic
 * steps, with its worked solution and the wrong solutions its recurring mistakes would produce. Returns null
 * when the drawn chain is invalid (a negative count, an uneven share); callers draw again.
 */
export function drawProblem(rng: Rng, id: string, options: DifficultyOptions = {}): WordProblem | null {
  const minSteps = options.minSteps ?? 2;
  const maxSteps = options.maxSteps ?? 5;
  const maxStart = options.maxStart ?? 40;
  const maxOperand = options.maxOperand ?? 12;
  const story: Story = { person: pick(rng, PEOPLE), thing: pick(rng, THINGS) };
  const target = randInt(rng, minSteps, maxSteps);
  const start = randInt(rng, 3, maxStart);

  const ops: Operation[] = [];
  let steps = 0;
  while (steps < target) {
    const room = target - steps;
    const kinds =
      room >= 2 ? ["gain", "lose", "groups", "multiply", "split"] : ["gain", "lose", "multiply", "split"];
    const kind = pick(rng, kinds);
    const op =
      kind === "gain"
        ? gain(rng, story, maxOperand)
        : kind === "lose"
          ? lose(rng, story, maxOperand)
          : kind === "groups"
            ? groups(rng, story, maxOperand)
            : kind === "multiply"
              ? multiply(rng, story)
              : split(rng, story);
    ops.push(op);
    steps += op.steps;
  }

  const correct = runChain(start, ops, null);
  if (correct === null || correct.value > 5_000) return null;
  const question = [
    `${story.person.name} has ${start} ${story.thing.plural}.`,
    ...ops.map((o) => o.sentence),
    `How many ${story.thing.plural} does ${story.person.name} have now?`,
  ].join(" ");

  const mistakes: WrongSolution[] = [];
  for (const kind of MISTAKE_PRIORITY) {
    // The last operation open to this kind of mistake is where a careless student makes it.
    const at = ops.map((o) => o.mistake?.kind).lastIndexOf(kind);
    if (at < 0) continue;
    const wrong = runChain(start, ops, at);
    if (wrong === null || wrong.value === correct.value) continue;
    mistakes.push({
      kind,
      solution: render(story, start, wrong.lines, wrong.value),
      answer: String(wrong.value),
    });
  }

  return {
    id,
    question,
    answer: String(correct.value),
    solution: render(story, start, correct.lines, correct.value),
    steps,
    mistakes,
  };
}

/** generateProblems' options. */
export interface ProblemOptions extends DifficultyOptions {
  seed: number;
  count: number;
  /** Prefix of problem ids. Default "p". */
  idPrefix?: string;
  /** Questions that must not appear (the train split, when drawing a test split). */
  exclude?: ReadonlySet<string>;
}

/** `count` distinct problems from `seed`; questions in `exclude` (or already drawn) are skipped. */
export function generateProblems(options: ProblemOptions): WordProblem[] {
  const rng = mulberry32(options.seed);
  const seen = new Set<string>();
  const out: WordProblem[] = [];
  let attempts = 0;
  while (out.length < options.count) {
    if (++attempts > options.count * 50)
      throw new Error(
        `generateProblems: could not draw ${options.count} distinct problems (seed ${options.seed})`,
      );
    const problem = drawProblem(rng, `${options.idPrefix ?? "p"}${out.length}`, options);
    if (problem === null || seen.has(problem.question) || options.exclude?.has(problem.question)) continue;
    seen.add(problem.question);
    out.push(problem);
  }
  return out;
}

/** generateSplits' options: the sizes of the two splits. */
export interface SplitOptions extends DifficultyOptions {
  seed: number;
  train: number;
  test: number;
}

/** Disjoint train and test splits: the test split is drawn from its own seed and never repeats a train question. */
export function generateSplits(options: SplitOptions): {
  train: WordProblem[];
  test: WordProblem[];
} {
  const train = generateProblems({
    ...options,
    seed: options.seed,
    count: options.train,
    idPrefix: "train-",
  });
  const exclude = new Set(train.map((p) => p.question));
  const test = generateProblems({
    ...options,
    seed: options.seed + 1_000_003,
    count: options.test,
    idPrefix: "test-",
    exclude,
  });
  return { train, test };
}
