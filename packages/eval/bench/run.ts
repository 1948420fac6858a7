/**
 * Eval's own costs (generation excluded): grading + journaling per sample in the runner, summarising (pass@k,
 * maj@k with the verifier's equivalence, bootstrap CIs), and rendering reports.
 *
 *   pnpm --filter @ssb/eval bench
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isEquivalent } from "@ssb/verifier";
import { bootstrapMeanCI } from "../src/bootstrap.js";
import { loadBenchmark } from "../src/load-benchmark.js";
import { mulberry32 } from "../src/prng.js";
import { renderHtmlReport } from "../src/report-html.js";
import { runEval } from "../src/run-eval.js";
import { summarizeRecords } from "../src/summarize.js";
import type { SampleRecord } from "../src/types.js";
import { fakeGenerator } from "../test/fake-generator.js";

function time<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return out;
}

async function main(): Promise<void> {
  isEquivalent("\\frac{1}{2}", "0.5"); // starts the LaTeX engine outside the timings
  const root = mkdtempSync(join(tmpdir(), "ssb-eval-bench-"));
  try {
    // 1. Runner overhead: grade + append every sample of GSM8K test and MATH500 with a generator that costs ~0.
    const t0 = performance.now();
    const run = await runEval({
      config: {
        benchmarks: ["gsm8k", "math500"],
        n: 4,
        sampling: { temperature: 0.7, maxNewTokens: 1024 },
        seed: 0,
      },
      generator: fakeGenerator(),
      outDir: join(root, "run"),
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `runner (GSM8K test + MATH500, n=4, ${run.records.length} samples, grade + journal + summary + reports): ` +
        `${seconds.toFixed(2)} s, ${(run.records.length / seconds).toFixed(0)} samples/s`,
    );

    // 2. Summary of MATH500 with n=16 and LaTeX-heavy answers: maj@k needs pairwise equivalence.
    const math = loadBenchmark("math500").problems;
    const rng = mulberry32(1);
    const records: SampleRecord[] = [];
    for (const p of math) {
      for (let s = 0; s < 16; s++) {
        const r = rng();
        const extracted =
          r < 0.4
            ? p.answer
            : r < 0.7
              ? `\\frac{${Math.floor(rng() * 9) + 1}}{${Math.floor(rng() * 9) + 2}}`
              : String(Math.floor(rng() * 50));
        records.push({
          benchmark: "math500",
          problemId: p.id,
          sampleIndex: s,
          gold: p.answer,
          ...(p.subject !== undefined ? { subject: p.subject } : {}),
          ...(p.level !== undefined ? { level: p.level } : {}),
          text: "",
          extracted,
          correct: r < 0.4,
          verdict: r < 0.4 ? "correct" : "wrong",
          reason: "",
          tokens: Math.floor(rng() * 1024),
          finishReason: "stop",
        });
      }
    }
    const summary = time(
      `summarize MATH500 x 16 samples (${records.length} records, pass@1..16, maj@1..16, CIs)`,
      () => summarizeRecords(records, { name: "bench" }),
    );
    const values = math.map(() => (rng() < 0.4 ? 1 : 0));
    time("bootstrap CI, 500 problems x 2,000 resamples", () => bootstrapMeanCI(values, { resamples: 2000 }));
    const html = time("render HTML report", () => renderHtmlReport({ runs: [summary, run.summary] }));
    console.log(
      `HTML size: ${(html.length / 1024).toFixed(1)} KiB; run report ${(statSync(join(root, "run", "report.html")).size / 1024).toFixed(1)} KiB`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
