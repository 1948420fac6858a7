/**
 * RLVR throughput: grading GRPO batches of 64 problems x 16 GSM8K-style replies (about 900 characters of
 * steps, then a boxed integer, decimal, fraction, thousands separator, a wrong answer, a hedge or no box; 5%
 * cut off at the token limit) with the real verifier, through groupRewards + grpoAdvantages and through
 * gradeRollouts. Each batch has answers the verifier has not parsed before (it caches parses by string), so
 * the numbers are what a trainer sees. Run: `pnpm --filter @ssb/curation exec tsx bench/grpo-batch.ts`.
 */
import { gradeRollouts } from "../src/grade-rollouts.js";
import { groupRewards } from "../src/group-rewards.js";
import { grpoAdvantages } from "../src/grpo-advantages.js";
import { groupPassAtK } from "../src/pass-at-k.js";
import { mulberry32 } from "../src/prng.js";
import type { Rollout } from "../src/records.js";
import { verifierGrader } from "../src/verifier-defaults.js";

const P = 64;
const G = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const rng = mulberry32(11);
const filler =
  "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. ";

function reply(gold: number): string {
  const steps = Array.from(
    { length: 4 + Math.floor(rng() * 6) },
    (_, i) => `Step ${i + 1}: ${filler}So we compute ${gold} - ${i} + ${i} = ${gold}.`,
  ).join("\n");
  const endings = [
    `The answer is $\\boxed{${gold}}$.`,
    `So the total is \\boxed{${gold}.00}`,
    `Thus \\boxed{\\frac{${gold * 2}}{2}}.`,
    `Therefore \\boxed{${gold + 3 + Math.floor(rng() * 50)}}.`,
    `The answer is ${gold}.`,
    `It is \\boxed{${gold.toLocaleString("en-US")}} dollars.`,
    `Either \\boxed{${gold}} or \\boxed{${gold + 1}}.`,
  ];
  return `${steps}\n${endings[Math.floor(rng() * endings.length)]}`;
}

interface Group {
  gold: string;
  rollouts: Rollout[];
}

function batch(round: number): Group[] {
  return Array.from({ length: P }, (_, i) => {
    const gold = 1000 * round + 12 + i * 137 + round * 7;
    const rollouts = Array.from({ length: G }, (_, s) => ({
      problemId: `r${round}p${i}`,
      sampleIndex: s,
      text: reply(gold),
      finishReason: rng() < 0.05 ? ("length" as const) : ("stop" as const),
    }));
    return { gold: String(gold), rollouts };
  });
}

/** `firstRound` keeps each timing's answers new to the verifier's cache. */
function timeRounds(label: string, firstRound: number, step: (group: Group) => void): void {
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const groups = batch(firstRound + r);
    const t0 = performance.now();
    for (const g of groups) step(g);
    ms.push(performance.now() - t0);
  }
  const later = ms.slice(1).sort((a, b) => a - b);
  const median = later[Math.floor(later.length / 2)] ?? ms[0] ?? 0;
  console.log(
    `${label}: ${P} x ${G} replies per batch; ms per batch ${ms.map((m) => m.toFixed(0)).join(" ")}; ` +
      `median after the first ${median.toFixed(0)} ms = ${Math.round((P * G) / (median / 1000))} replies/s`,
  );
}

timeRounds("groupRewards + grpoAdvantages + pass@k", 1, (g) => {
  const { rewards, correct } = groupRewards(g.rollouts, g.gold, verifierGrader);
  grpoAdvantages(rewards);
  groupPassAtK(correct, 1);
  groupPassAtK(correct, G);
});
timeRounds("gradeRollouts", 1001, (g) => {
  gradeRollouts(g.rollouts, g.gold, verifierGrader);
});
