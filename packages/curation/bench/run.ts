/**
 * Curation throughput with the real verifier: grading + selection in memory, then the file-level run
 * (selection mode, fsync per record). Synthetic GSM8K-like rollouts: 8 per problem, boxed integer or decimal
 * answers, a third of them wrong, some unboxed. Run: `pnpm --filter @ssb/curation bench`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curateProblem } from "../src/curate-problem.js";
import { mulberry32 } from "../src/prng.js";
import type { Problem, Rollout } from "../src/records.js";
import { runCuration } from "../src/run-curation.js";
import { verifierEquivalence, verifierGrader } from "../src/verifier-defaults.js";

const N = Number(process.env.BENCH_PROBLEMS ?? 1000);
const K = 8;
const rng = mulberry32(1);
const problems: Problem[] = [];
const rollouts: Rollout[] = [];
for (let i = 0; i < N; i++) {
  const gold = 10 + Math.floor(rng() * 990);
  problems.push({ id: `b${i}`, question: `Question ${i}: what is ${gold}?`, answer: String(gold) });
  for (let s = 0; s < K; s++) {
    const u = rng();
    const filler = "Let us compute step by step. ".repeat(20);
    const answer =
      u < 0.5
        ? String(gold)
        : u < 0.6
          ? `${gold}.00`
          : u < 0.9
            ? String(gold + 1 + Math.floor(rng() * 3))
            : null;
    const text =
      answer === null ? `${filler} I think it is ${gold}.` : `${filler} The answer is \\boxed{${answer}}.`;
    rollouts.push({ problemId: `b${i}`, sampleIndex: s, text, finishReason: "stop" });
  }
}
const byProblem = new Map<string, Rollout[]>();
for (const r of rollouts) byProblem.set(r.problemId, [...(byProblem.get(r.problemId) ?? []), r]);

let t0 = performance.now();
let selected = 0;
for (const p of problems) {
  const c = curateProblem(p, byProblem.get(p.id) ?? [], {
    grader: verifierGrader,
    equivalence: verifierEquivalence,
  });
  if (c.selection.kind === "selected") selected++;
}
const inMemoryMs = performance.now() - t0;

const dir = mkdtempSync(join(tmpdir(), "ssb-curation-bench-"));
t0 = performance.now();
const run = await runCuration({ problems, rollouts, outDir: dir });
const fileMs = performance.now() - t0;
rmSync(dir, { recursive: true, force: true });

console.log(`problems ${N} x ${K} rollouts; selected ${selected} (${run.summary.selected} in the file run)`);
console.log(
  `grade + select in memory: ${inMemoryMs.toFixed(0)} ms = ${((N * K) / (inMemoryMs / 1000)).toFixed(0)} rollouts/s`,
);
console.log(
  `file run (selection mode, fsync per record): ${fileMs.toFixed(0)} ms = ${(N / (fileMs / 1000)).toFixed(0)} problems/s`,
);
