/**
 * A scripted generator for tests: each sample's reply is a pure function of (seed, problem id, sample index), so
 * it honours the SampleGenerator contract (independent of batching) exactly as a seeded engine must.
 */
import type { GeneratedSample, GenerationRequest, SampleGenerator } from "../src/generator.js";
import { loadBenchmark } from "../src/load-benchmark.js";
import { mulberry32, sampleSeed } from "../src/prng.js";

export interface FakeOptions {
  /** Chance a reply boxes the gold answer. */
  accuracy?: number;
  /** Milliseconds to wait before each sample (to let a test kill the process mid-run). */
  delayMs?: number;
  modelId?: string;
  fingerprint?: string;
}

/** Golds of the built-in benchmarks by `${benchmark}/${problemId}`, read through the public loader. */
function goldTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (const name of ["gsm8k", "math500", "aime24"]) {
    for (const p of loadBenchmark(name).problems) table.set(`${name}/${p.id}`, p.answer);
  }
  return table;
}

export function fakeGenerator(options: FakeOptions = {}): SampleGenerator & { calls: GenerationRequest[] } {
  const golds = goldTable();
  const accuracy = options.accuracy ?? 0.5;
  const calls: GenerationRequest[] = [];
  return {
    modelId: options.modelId ?? "fake-model",
    ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
    calls,
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      calls.push(request);
      for (const prompt of request.prompts) {
        for (const sampleIndex of prompt.sampleIndices) {
          if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
          const rng = mulberry32(sampleSeed(request.seed, request.benchmark, prompt.problemId, sampleIndex));
          const gold = golds.get(`${request.benchmark}/${prompt.problemId}`) ?? "0";
          const roll = rng();
          const tokens = 20 + Math.floor(rng() * 200);
          let text: string;
          if (roll < accuracy) text = `Step by step... so the answer is \\boxed{${gold}}.`;
          else if (roll < accuracy + 0.1) text = "I keep thinking and thinking and";
          else text = `Working... the answer is \\boxed{${Math.floor(rng() * 3) + 1000}}.`;
          const finishReason = text.endsWith("and") ? "length" : "stop";
          yield { problemId: prompt.problemId, sampleIndex, text, tokens, finishReason };
        }
      }
    },
  };
}

/** A generator whose sample i of every problem replies `texts[i]` (stopped, 5 tokens): replies picked by hand. */
export function scriptedGenerator(modelId: string, texts: readonly string[]): SampleGenerator {
  return {
    modelId,
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      for (const prompt of request.prompts)
        for (const sampleIndex of prompt.sampleIndices)
          yield {
            problemId: prompt.problemId,
            sampleIndex,
            text: texts[sampleIndex] ?? "",
            tokens: 5,
            finishReason: "stop",
          };
    },
  };
}
