/**
 * A resumable rollout job: problems × n samples -> rollouts JSONL (+ optional logit store).
 *
 * Resume: pairs already in the JSONL are skipped. With logit capture the JSONL trails the store: records
 * are held until the store's current shard is completed (flushed), then written, so every pair in the JSONL
 * has its logits on disk. A crash loses the held records and their logits alike (the store drops its
 * unfinished shard and lists them in `redo`); a pair whose logits made it but whose record did not is
 * regenerated (same seed, same ids) without capturing again.
 */
import { type LogitDtype, type LogitStoreWriter, openLogitStoreWriter } from "@ssb/logit-store";
import type {
  FinishedSequence,
  GenerateProgress,
  Generator,
  PromptInput,
  RefillPolicy,
} from "./generator.js";
import type { ProblemPrompt } from "./problems-file.js";
import { openRolloutJournal, type RolloutRecord } from "./rollout-journal.js";
import { dropUndefined, resolveSampling, type SamplingParams } from "./sampling-params.js";

export interface LogitCaptureJob {
  dir: string;
  /** Entries per token (default 20). */
  k?: number;
  /** Storage type of the logits (default float16). */
  dtype?: LogitDtype;
}

export interface RolloutJobOptions {
  generator: Generator;
  problems: readonly ProblemPrompt[];
  n: number;
  sampling?: Partial<SamplingParams>;
  outFile: string;
  capture?: LogitCaptureJob;
  maxBatch?: number;
  refill?: RefillPolicy;
  /** With capture: complete a logit shard and write the held records every this many sequences (default 64). */
  flushEvery?: number;
  onProgress?: (p: GenerateProgress, alreadyDone: number) => void;
  signal?: AbortSignal;
}

export interface RolloutJobSummary {
  written: number;
  /** Pairs found in the output from an earlier run. */
  skipped: number;
  total: number;
  generatedTokens: number;
  seconds: number;
  tokensPerSecond: number;
}

export const captureKeyFor = (problemId: string, sampleIndex: number): string =>
  `${problemId}#${sampleIndex}`;

export async function runRollouts(options: RolloutJobOptions): Promise<RolloutJobSummary> {
  const gen = options.generator;
  const sampling = resolveSampling(
    { stopTokenIds: gen.defaultStopTokenIds(), ...dropUndefined(options.sampling ?? {}) },
    undefined,
    "rollout sampling",
  );
  const journal = openRolloutJournal(options.outFile, {
    modelId: gen.modelId,
    n: options.n,
    sampling,
    capture: options.capture
      ? { k: options.capture.k ?? 20, dtype: options.capture.dtype ?? "float16" }
      : null,
  });
  let writer: LogitStoreWriter | null = null;
  try {
    if (options.capture) {
      writer = await openLogitStoreWriter(options.capture.dir, {
        modelId: gen.modelId,
        tokenizerHash: gen.tokenizer?.fingerprint() ?? "none",
        vocabSize: gen.vocabSize,
        k: options.capture.k ?? 20,
        dtype: options.capture.dtype ?? "float16",
        captureTemperature: sampling.temperature,
      });
    }
    const prompts: PromptInput[] = [];
    let total = 0;
    for (const p of options.problems) {
      const missing: number[] = [];
      for (let i = 0; i < options.n; i++) if (!journal.has(p.id, i)) missing.push(i);
      total += options.n;
      if (missing.length === 0) continue;
      const input: PromptInput = { id: p.id, sampleIndices: missing };
      if (p.messages) input.messages = p.messages;
      if (p.promptIds) input.tokenIds = p.promptIds;
      prompts.push(input);
    }
    const skipped = journal.size;
    const promptText = new Map(options.problems.map((p) => [p.id, p.messages]));
    const held: RolloutRecord[] = [];
    const flushEvery = options.flushEvery ?? 64;
    // Records go to the JSONL only after their logits are durable (the awaited flush), never before.
    const flush = async (): Promise<void> => {
      if (held.length === 0) return;
      await writer?.flush();
      journal.append(held.splice(0));
    };
    const started = performance.now();
    let written = 0;
    let generatedTokens = 0;
    const toRecord = (s: FinishedSequence): RolloutRecord => {
      const rec: RolloutRecord = {
        problemId: s.promptId,
        sampleIndex: s.sampleIndex,
        text: s.text,
        tokenIds: s.tokenIds,
        finishReason: s.finishReason,
        promptTokens: s.promptTokens,
        sampling: { ...sampling },
        seed: s.seed,
        modelId: gen.modelId,
      };
      const messages = promptText.get(s.promptId);
      if (messages) rec.prompt = messages;
      if (s.logitKey !== undefined) rec.logitKey = s.logitKey;
      return rec;
    };
    const genOptions: Parameters<Generator["generate"]>[1] = {
      sampling,
      onProgress: (p) => options.onProgress?.(p, skipped),
    };
    if (options.maxBatch !== undefined) genOptions.maxBatch = options.maxBatch;
    if (options.refill !== undefined) genOptions.refill = options.refill;
    if (options.signal) genOptions.signal = options.signal;
    if (writer) genOptions.capture = { writer, key: captureKeyFor };
    for await (const s of gen.generate(prompts, genOptions)) {
      generatedTokens += s.tokenIds.length;
      written++;
      if (writer) {
        held.push(toRecord(s));
        if (held.length >= flushEvery) await flush();
      } else {
        journal.append([toRecord(s)]);
      }
    }
    await flush();
    const seconds = (performance.now() - started) / 1000;
    return {
      written,
      skipped,
      total,
      generatedTokens,
      seconds,
      tokensPerSecond: seconds > 0 ? generatedTokens / seconds : 0,
    };
  } finally {
    journal.close();
    await writer?.close();
  }
}
