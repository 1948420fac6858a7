/**
 * The verifier as an RLVR reward, in the smallest GRPO-style loop that still has every moving part:
 *
 *   sample a group of G completions per problem from a policy
 *   -> reward them with @ssb/verifier's accuracyReward (TRL's reward-function shape), boxed answers only
 *   -> group-relative advantages with @ssb/curation's grpoAdvantages ("grpo", "dr-grpo" or "rloo")
 *   -> policy-gradient step on log pi(completion) weighted by the advantage.
 *
 * The "policy" is a table: for each problem, a softmax over a handful of candidate completions (a correct
 * boxed answer, an equivalent one written differently, a wrong one, a hedge with two boxes, the right answer
 * unboxed). No model is needed, so the loop runs in milliseconds and shows what the verifier rewards:
 * equivalent forms count as correct, hedging and missing boxes do not. The reward reads only \boxed{}
 * answers, as @ssb/grpo's default reward (curation's verifierGrader) and SSB's prompts do; accuracyReward's
 * default rules also read "The answer is 1.5." and would reward it. @ssb/grpo runs the same recipe on a real
 * decoder.
 *
 * Run: pnpm --filter @ssb/examples rlvr [grpo|dr-grpo|rloo]
 */
import { pathToFileURL } from "node:url";
import { type AdvantageVariant, grpoAdvantages, mulberry32 } from "@ssb/curation";
import { accuracyReward } from "@ssb/verifier";

export interface ToyProblem {
  question: string;
  answer: string;
  candidates: string[];
}

export const PROBLEMS: ToyProblem[] = [
  {
    question: "What is 3/4 of 2?",
    answer: "1.5",
    candidates: [
      "3/4 of 2 is 6/4, so the answer is \\boxed{\\frac{3}{2}}.",
      "That is 1.5, i.e. \\boxed{1.5}.",
      "3/4 + 2 = 2.75, so \\boxed{2.75}.",
      "Either \\boxed{1.5} or \\boxed{2}.",
      "The answer is 1.5.",
    ],
  },
  {
    question: "Solve x^2 = 9 for x > 0.",
    answer: "3",
    candidates: [
      "x = \\sqrt{9} = \\boxed{3}.",
      "So \\boxed{x = 3}.",
      "x = 9 / 2, \\boxed{4.5}.",
      "\\boxed{3} or \\boxed{-3}.",
      "So x = 3.",
    ],
  },
  {
    question: "Sam has 12 apples and gives away 5. How many are left?",
    answer: "7",
    candidates: [
      "12 - 5 = 7, so \\boxed{7}.",
      "He keeps \\boxed{7.0} apples.",
      "12 + 5 = 17, \\boxed{17}.",
      "\\boxed{7} or maybe \\boxed{8}.",
      "Final answer: 7",
    ],
  },
];

export const VARIANTS: readonly AdvantageVariant[] = ["grpo", "dr-grpo", "rloo"];

/**
 * The command line's variant: "grpo" when none is given, else the one argument (checked by the caller against
 * VARIANTS); a leading "--" (npm's separator, which pnpm passes on) is skipped, where it was refused as the
 * variant. More than one argument is returned as the list, which the usage line shows.
 */
export function variantArg(argv: readonly string[]): string | readonly string[] {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  if (args.length > 1) return args;
  return args[0] ?? "grpo";
}

export interface LoopOptions {
  steps?: number;
  groupSize?: number;
  lr?: number;
  variant?: AdvantageVariant;
  seed?: number;
  log?: (line: string) => void;
}

export interface LoopResult {
  /** Mean reward of the sampled completions, per step. */
  meanReward: number[];
  /** Final probability of each candidate, per problem. */
  probabilities: number[][];
  /** The verifier's reward of each candidate, per problem (what the policy should learn). */
  candidateRewards: number[][];
}

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

function sample(p: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i] as number;
    if (u < acc) return i;
  }
  return p.length - 1;
}

export function runLoop(options: LoopOptions = {}): LoopResult {
  const steps = options.steps ?? 30;
  const G = options.groupSize ?? 8;
  const lr = options.lr ?? 0.5;
  const rng = mulberry32(options.seed ?? 1);
  // TRL-shaped reward: completions plus dataset columns aligned with them (here the gold "answer"). Boxed
  // answers only: with the verifier's default rules "The answer is 1.5." would be rewarded as correct.
  const reward = accuracyReward({ correct: 1, wrong: 0, noAnswer: 0, grading: { rules: ["boxed"] } });
  const logits = PROBLEMS.map((p) => p.candidates.map(() => 0));
  const meanReward: number[] = [];
  for (let step = 0; step < steps; step++) {
    let total = 0;
    PROBLEMS.forEach((problem, i) => {
      const theta = logits[i] as number[];
      const p = softmax(theta);
      const picks = Array.from({ length: G }, () => sample(p, rng()));
      const rewards = reward({
        completions: picks.map((c) => problem.candidates[c] as string),
        answer: picks.map(() => problem.answer),
      }).map((r) => r ?? 0);
      const advantages = grpoAdvantages(rewards, { variant: options.variant ?? "grpo" });
      // d/d theta_j of log softmax(theta)_c = 1[j = c] - p_j; averaged over the group.
      picks.forEach((c, g) => {
        const a = advantages[g] as number;
        theta.forEach((_, j) => {
          theta[j] = (theta[j] as number) + (lr / G) * a * ((j === c ? 1 : 0) - (p[j] as number));
        });
      });
      total += rewards.reduce((s, r) => s + r, 0) / G;
    });
    meanReward.push(total / PROBLEMS.length);
    options.log?.(`step ${step + 1}: mean reward ${(total / PROBLEMS.length).toFixed(3)}`);
  }
  const candidateRewards = PROBLEMS.map((problem) =>
    reward({
      completions: problem.candidates,
      answer: problem.candidates.map(() => problem.answer),
    }).map((r) => r ?? 0),
  );
  return { meanReward, probabilities: logits.map(softmax), candidateRewards };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = variantArg(process.argv.slice(2));
  if (typeof arg !== "string" || !VARIANTS.includes(arg as AdvantageVariant)) {
    console.error(
      `usage: pnpm --filter @ssb/examples rlvr [${VARIANTS.join("|")}] (found ${JSON.stringify(arg)})`,
    );
    process.exit(2);
  }
  const variant = arg as AdvantageVariant;
  // dr-grpo and rloo advantages are not divided by the std (about 0.5 for 0/1 rewards): a larger step.
  const result = runLoop({ variant, lr: variant === "grpo" ? 0.5 : 2, log: (line) => console.log(line) });
  PROBLEMS.forEach((problem, i) => {
    console.log(`\n${problem.question} (gold ${problem.answer})`);
    problem.candidates.forEach((c, j) => {
      const p = (result.probabilities[i]?.[j] ?? 0).toFixed(3);
      console.log(`  reward ${result.candidateRewards[i]?.[j]}  p ${p}  ${c}`);
    });
  });
}
