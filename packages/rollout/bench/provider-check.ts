/**
 * Checks execution providers against the CPU on one model (default: the bench's 53M random Qwen2): greedy
 * ids (8 prompts x 64 tokens), teacher-forced top-20 logits and log-sum-exp over the CPU's greedy
 * continuations, greedy ids of mixed-length prompts decoded 4 at a time with refills, captured top-20 logits
 * of sampled replies (refilled batches) against a CPU teacher-forced pass over the same ids, and sampled
 * tokens/s at 8 and 32 prompts x 4. A provider that cannot start prints why.
 *
 *   tsx bench/provider-check.ts [model-dir] [--providers webgpu,cuda,auto]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import { type FinishedSequence, Generator, type ScoreRequest, scoreContinuations } from "../src/index.js";
import { BENCH_MODEL, randomPrompts, randomQwen2Export } from "./random-model.js";

const PROVIDERS = ["webgpu", "cuda", "auto"] as const;
type Provider = (typeof PROVIDERS)[number];
const GREEDY_PROMPTS = 8;
const GREEDY_TOKENS = 64;
const PROMPT_TOKENS = 96;

const prompts = (count: number, vocab: number, seed: number): number[][] =>
  randomPrompts(count, PROMPT_TOKENS, vocab, seed);

async function greedy(gen: Generator, ps: number[][]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const inputs = ps.map((tokenIds, i) => ({ id: `p${i}`, tokenIds }));
  const sampling = { temperature: 0, maxNewTokens: GREEDY_TOKENS, stopTokenIds: [] };
  for await (const s of gen.generate(inputs, { n: 1, sampling })) out.set(s.promptId, s.tokenIds);
  return out;
}

/**
 * Greedy ids of prompts of mixed lengths, each with its own reply length, 4 rows at a time, refilled as
 * rows finish: every slot refill gathers cache rows of different lengths (on the device, by the gather graph).
 */
async function greedyRefilled(gen: Generator, vocab: number): Promise<Map<string, number[]>> {
  const inputs = Array.from({ length: 12 }, (_, i) => ({
    id: `r${i}`,
    tokenIds: randomPrompts(1, 16 + ((i * 37) % 85), vocab, 100 + i)[0] as number[],
    sampling: { maxNewTokens: 16 + ((i * 13) % 49) },
  }));
  const out = new Map<string, number[]>();
  const sampling = { temperature: 0, stopTokenIds: [] };
  for await (const s of gen.generate(inputs, { n: 1, maxBatch: 4, refill: "eager", sampling }))
    out.set(s.promptId, s.tokenIds);
  return out;
}

/**
 * Sampled replies (temperature 0.8, top-k 50) of prompts of mixed lengths, 2 samples each, 4 rows at a time
 * with eager refill, their top-20 logits captured into a logit store on `gen`'s provider; then the same ids
 * teacher-forced on the CPU. Acceptance 3's check, on this provider's cache path.
 */
async function captureCheck(gen: Generator, cpu: Generator): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-provider-check-"));
  try {
    const writer = await openLogitStoreWriter(dir, {
      modelId: "provider-check",
      tokenizerHash: "none",
      vocabSize: gen.vocabSize,
      k: 20,
      dtype: "float32",
      captureTemperature: 1,
    });
    const prompts = new Map<string, number[]>();
    const inputs = Array.from({ length: 6 }, (_, i) => {
      const tokenIds = randomPrompts(1, 20 + 15 * i, gen.vocabSize, 200 + i)[0] as number[];
      prompts.set(`c${i}`, tokenIds);
      return { id: `c${i}`, tokenIds, n: 2 };
    });
    const seqs: FinishedSequence[] = [];
    const sampling = { temperature: 0.8, topK: 50, maxNewTokens: 40, stopTokenIds: [], seed: 1 };
    for await (const s of gen.generate(inputs, {
      maxBatch: 4,
      refill: "eager",
      sampling,
      capture: { writer },
    }))
      seqs.push(s);
    await writer.close();
    const store = await openLogitStore(dir);
    const scored = await scoreContinuations(
      cpu,
      seqs.map((s) => ({
        id: s.logitKey as string,
        promptIds: prompts.get(s.promptId) as number[],
        continuation: s.tokenIds,
      })),
      { k: 20 },
    );
    const compared = compareScores(
      seqs.map((s) => store.read(s.logitKey as string)),
      scored,
    );
    store.close();
    const tokens = seqs.reduce((n, s) => n + s.tokenIds.length, 0);
    return `captured top-20 of ${seqs.length} sampled replies (${tokens} tokens, refilled batches) vs a CPU teacher-forced pass: ${compared}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Best of two runs, top-k 50 sampling, every row exactly 64 new tokens. */
async function throughput(gen: Generator, count: number): Promise<string> {
  const inputs = prompts(count, gen.vocabSize, 5).map((tokenIds, i) => ({ id: `q${i}`, tokenIds, n: 4 }));
  let best = 0;
  for (let seed = 0; seed < 2; seed++) {
    const t0 = performance.now();
    let tokens = 0;
    const sampling = { temperature: 1, topK: 50, maxNewTokens: 64, stopTokenIds: [], seed };
    for await (const s of gen.generate(inputs, { maxBatch: count * 4, sampling }))
      tokens += s.tokenIds.length;
    best = Math.max(best, tokens / ((performance.now() - t0) / 1000));
  }
  return `${count} x 4: ${best.toFixed(0)} tok/s`;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Per-position top lists and log-sum-exp: a scored sequence, or one read back from a logit store. */
interface TopLists {
  topkIds: ArrayLike<number>;
  topkLogits: ArrayLike<number>;
  logSumExp: ArrayLike<number>;
}

function compareScores(got: readonly TopLists[], want: readonly TopLists[]): string {
  let logit = 0;
  let lse = 0;
  let same = 0;
  let slots = 0;
  got.forEach((g, i) => {
    const w = want[i] as TopLists;
    logit = Math.max(logit, maxAbsDiff(g.topkLogits, w.topkLogits));
    lse = Math.max(lse, maxAbsDiff(g.logSumExp, w.logSumExp));
    slots += g.topkIds.length;
    for (let j = 0; j < g.topkIds.length; j++) if (g.topkIds[j] === w.topkIds[j]) same++;
  });
  return `max |logit diff| ${logit.toExponential(2)}, max |log-sum-exp diff| ${lse.toExponential(2)}, same ids in ${same}/${slots} slots`;
}

function compareGreedy(got: Map<string, number[]>, want: Map<string, number[]>): string {
  const firstDiff: number[] = [];
  let tokens = 0;
  for (const [id, ids] of want) {
    tokens += ids.length;
    const other = got.get(id) ?? [];
    const at = ids.findIndex((t, i) => other[i] !== t);
    if (at >= 0 || other.length !== ids.length) firstDiff.push(at >= 0 ? at : ids.length);
  }
  const equal = want.size - firstDiff.length;
  const where = firstDiff.length ? `; first differing positions ${firstDiff.join(",")}` : "";
  return `greedy ids equal to cpu: ${equal}/${want.size} prompts (${tokens} tokens)${where}`;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { providers: { type: "string", default: PROVIDERS.join(",") } },
});
const providers = (values.providers as string).split(",").map((p): Provider => {
  if (!PROVIDERS.includes(p as Provider))
    throw new Error(`--providers: one of ${PROVIDERS.join(", ")}, found "${p}"`);
  return p as Provider;
});
const dir = positionals[0] ?? (await randomQwen2Export(BENCH_MODEL));
console.log(`model ${dir}`);

const cpu = await Generator.load(dir, { executionProvider: "cpu" });
const ps = prompts(GREEDY_PROMPTS, cpu.vocabSize, 11);
const cpuGreedy = await greedy(cpu, ps);
const requests: ScoreRequest[] = [...cpuGreedy].map(([id, continuation], i) => ({
  id,
  promptIds: ps[i] as number[],
  continuation,
}));
const cpuScores = await scoreContinuations(cpu, requests, { k: 20 });
const cpuRefilled = await greedyRefilled(cpu, cpu.vocabSize);
console.log(`[cpu] ${await throughput(cpu, 8)}; ${await throughput(cpu, 32)}`);
console.log(`[cpu] ${await captureCheck(cpu, cpu)}`);

for (const ep of providers) {
  const t0 = performance.now();
  let gen: Generator;
  try {
    gen = await Generator.load(dir, { executionProvider: ep, warn: (m) => console.log(`[${ep}] ${m}`) });
  } catch (e) {
    console.log(`[${ep}] load failed: ${e instanceof Error ? e.message : String(e)}`);
    continue;
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const { executionProvider, prunedNodes, keepsLastLogits, kvOnDevice } = gen.session;
  console.log(
    `[${ep}] loaded in ${seconds} s on ${executionProvider} (graph edits: ${prunedNodes} nodes pruned, last-position logits ${keepsLastLogits ? "on" : "off"}, KV cache ${kvOnDevice ? "on the device" : "in host memory"})`,
  );
  try {
    console.log(`[${ep}] ${compareGreedy(await greedy(gen, ps), cpuGreedy)}`);
    const scores = await scoreContinuations(gen, requests, { k: 20 });
    console.log(`[${ep}] teacher-forced top-20 vs cpu: ${compareScores(scores, cpuScores)}`);
    console.log(
      `[${ep}] with refills, ${compareGreedy(await greedyRefilled(gen, gen.vocabSize), cpuRefilled)}`,
    );
    console.log(`[${ep}] ${await captureCheck(gen, cpu)}`);
    console.log(`[${ep}] ${await throughput(gen, 8)}; ${await throughput(gen, 32)}`);
    console.log(`[${ep}] device KV batches left unreleased: ${gen.session.liveDeviceBatches}`);
  } catch (e) {
    console.log(`[${ep}] run failed: ${e instanceof Error ? e.stack : String(e)}`);
  } finally {
    await gen.close();
  }
}
await cpu.close();
