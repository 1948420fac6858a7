/**
 * The logit store feeding another distillation job: a teacher writes its top-k logits for every token of its
 * replies into an @ssb/logit-store folder (Arrow IPC shards + manifest), and a different, smaller student is
 * trained from that folder alone with @ssb/distill's top-k forward-KL loss. Teacher and student never run
 * together: the store is the only thing between them, which is what lets a big teacher's logits be captured
 * once (on a GPU, by any framework that can write the format) and reused by many student runs.
 *
 * Both models are small random Qwen2 decoders built in memory (no downloads), sharing a 64-token vocabulary;
 * the teacher's weights have a large scale so its distributions are peaked and worth imitating.
 *
 * Run: pnpm --filter @ssb/examples kd-from-store [work-dir]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  createRng,
  type DecoderModel,
  disposeDecoder,
  exampleFromPromptAndReply,
  forward,
  loadDecoder,
  qwen2Config,
  randomWeights,
  readMetrics,
  resolveTrainConfig,
  selectBackend,
  type TrainingExample,
  train,
} from "@ssb/distill";
import { captureTopk, openLogitStore, openLogitStoreWriter, topkLogitsAsFloat32 } from "@ssb/logit-store";
import * as tf from "@tensorflow/tfjs";
import { KD_USAGE, workDirArg, workDirProblem } from "./work-dir.js";

const VOCAB = 64;

export interface DistillFromStoreOptions {
  /** Where the store and the training output go. */
  workDir: string;
  examples?: number;
  replyLength?: number;
  k?: number;
  epochs?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface DistillFromStoreResult {
  storeDir: string;
  rowsStored: number;
  /** Mean KD loss of the first and the last epoch (from the trainer's metrics.jsonl). */
  firstEpochLoss: number;
  lastEpochLoss: number;
  /** Share of reply positions where the student's argmax is the teacher's top-1, before and after. */
  agreementBefore: number;
  agreementAfter: number;
  adapterDir: string;
}

async function buildModel(
  sizes: { hidden: number; layers: number; heads: number; kvHeads: number; intermediate: number },
  seed: number,
  std: number,
): Promise<DecoderModel> {
  const config = qwen2Config({ ...sizes, vocab: VOCAB });
  const weights = randomWeights(config, seed, std);
  return loadDecoder(config, weights.read, weights.has, "lora");
}

/** Logits [n, V] of `model` at the rows predicting each reply token of prompt + reply. */
function replyLogits(model: DecoderModel, prompt: number[], reply: number[]): Float32Array {
  const ids = [...prompt, ...reply];
  return tf.tidy(
    () =>
      forward(model, { inputIds: Int32Array.from(ids), batch: 1, length: ids.length }, [
        { batch: 0, start: prompt.length - 1, length: reply.length },
      ]).dataSync() as Float32Array,
  );
}

/** The teacher's own reply, sampled at T = 1 token by token (seeded). */
function sampleReply(teacher: DecoderModel, prompt: number[], length: number, u: () => number): number[] {
  const reply: number[] = [];
  for (let t = 0; t < length; t++) {
    const ids = [...prompt, ...reply];
    const logits = tf.tidy(
      () =>
        forward(teacher, { inputIds: Int32Array.from(ids), batch: 1, length: ids.length }, [
          { batch: 0, start: ids.length - 1, length: 1 },
        ]).dataSync() as Float32Array,
    );
    const max = Math.max(...logits);
    const p = Array.from(logits, (l) => Math.exp(l - max));
    let x = u() * p.reduce((a, b) => a + b, 0);
    let pick = p.length - 1;
    for (let i = 0; i < p.length; i++) {
      x -= p[i] as number;
      if (x <= 0) {
        pick = i;
        break;
      }
    }
    reply.push(pick);
  }
  return reply;
}

function agreement(student: DecoderModel, examples: readonly TrainingExample[], prompts: number[][]): number {
  let same = 0;
  let total = 0;
  examples.forEach((e, i) => {
    const logits = replyLogits(student, prompts[i] as number[], Array.from(e.targets));
    const k = e.teacher?.k ?? 1;
    for (let r = 0; r < e.targets.length; r++) {
      const row = logits.subarray(r * VOCAB, (r + 1) * VOCAB);
      const argmax = row.indexOf(Math.max(...row));
      if (argmax === e.teacher?.topkIds[r * k]) same++;
      total++;
    }
  });
  return same / total;
}

export async function distillFromStore(options: DistillFromStoreOptions): Promise<DistillFromStoreResult> {
  const log = options.log ?? (() => {});
  const n = options.examples ?? 24;
  const replyLength = options.replyLength ?? 12;
  const k = options.k ?? 8;
  const seed = options.seed ?? 7;
  await selectBackend("auto", log);
  const rng = createRng(seed, "data");

  // 1. The teacher writes its replies' top-k logits into the store.
  const teacher = await buildModel(
    { hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128 },
    1,
    0.3,
  );
  const storeDir = path.join(options.workDir, "logits");
  const writer = await openLogitStoreWriter(storeDir, {
    modelId: "random-teacher-h64",
    tokenizerHash: "toy-vocab-64",
    vocabSize: VOCAB,
    k,
    dtype: "float16",
    captureTemperature: 1,
  });
  const prompts: number[][] = [];
  const replies: number[][] = [];
  for (let i = 0; i < n; i++) {
    const prompt = Array.from({ length: 6 }, () => rng.int(VOCAB));
    const reply = sampleReply(teacher, prompt, replyLength, () => rng.next());
    const logits = replyLogits(teacher, prompt, reply);
    const topkIds = new Int32Array(reply.length * k);
    const topkLogits = new Float32Array(reply.length * k);
    const logSumExp = new Float32Array(reply.length);
    for (let r = 0; r < reply.length; r++) {
      const c = captureTopk(logits.subarray(r * VOCAB, (r + 1) * VOCAB), k);
      topkIds.set(c.topkIds, r * k);
      topkLogits.set(c.topkLogits, r * k);
      logSumExp[r] = c.logSumExp;
    }
    writer.writeExample(`ex-${i}`, { tokenIds: reply, topkIds, topkLogits, logSumExp });
    prompts.push(prompt);
    replies.push(reply);
  }
  await writer.close();
  disposeDecoder(teacher);

  // 2. Another job: read the store and distil a smaller student from it.
  const store = await openLogitStore(storeDir);
  const examples = store.examples().map((id) => {
    const rows = store.read(id);
    const i = Number(id.slice(3));
    return exampleFromPromptAndReply(id, prompts[i] as number[], Array.from(rows.tokenIds), {
      k: rows.k,
      topkIds: rows.topkIds,
      topkLogits: topkLogitsAsFloat32(rows),
      logSumExp: rows.logSumExp,
    });
  });
  const rowsStored = store.rows;
  store.close();
  const ordered = [...examples].sort((a, b) => Number(a.id.slice(3)) - Number(b.id.slice(3)));
  const student = await buildModel({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64 }, 2, 0.3);
  const agreementBefore = agreement(student, ordered, prompts);
  const outDir = path.join(options.workDir, "kd");
  const epochs = options.epochs ?? 6;
  const result = await train({
    model: student,
    examples: ordered,
    config: resolveTrainConfig({
      mode: "kd",
      epochs,
      batchSize: 4,
      seed,
      lora: { r: 8, alpha: 16 },
      loss: { temperature: 1 },
      optimizer: { lr: 2e-2, schedule: "constant" },
    }),
    outDir,
    progress: false,
    log,
  });
  const agreementAfter = agreement(student, ordered, prompts);
  disposeDecoder(student);
  const metrics = readMetrics(result.metricsFile);
  const epochMean = (epoch: number): number => {
    const losses = metrics.filter((m) => m.epoch === epoch).map((m) => m.loss);
    return losses.reduce((a, b) => a + b, 0) / losses.length;
  };
  const epochsSeen = metrics.map((m) => m.epoch);
  return {
    storeDir,
    rowsStored,
    firstEpochLoss: epochMean(Math.min(...epochsSeen)),
    lastEpochLoss: epochMean(Math.max(...epochsSeen)),
    agreementBefore,
    agreementAfter,
    adapterDir: result.savedTo,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `pnpm --filter` runs the script inside examples/; INIT_CWD is where the user typed the command.
  const arg = workDirArg(process.argv.slice(2));
  if (arg.error === KD_USAGE) {
    console.log(KD_USAGE); // --help: the usage is the answer, not an error
    process.exit(0);
  }
  if (arg.error !== undefined) {
    console.error(arg.error);
    process.exit(2);
  }
  const given =
    arg.dir === undefined ? undefined : path.resolve(process.env.INIT_CWD ?? process.cwd(), arg.dir);
  const problem = given === undefined ? undefined : workDirProblem(given);
  if (problem) {
    console.error(`kd-from-store: ${problem}`);
    process.exit(2);
  }
  const workDir = given ?? (await mkdtemp(path.join(os.tmpdir(), "ssb-kd-from-store-")));
  const r = await distillFromStore({ workDir, log: (line) => console.error(line) });
  console.log(
    `store ${r.storeDir}: ${r.rowsStored} rows\nKD loss: first epoch ${r.firstEpochLoss.toFixed(4)} -> last epoch ${r.lastEpochLoss.toFixed(4)}\n` +
      `student top-1 = teacher top-1: ${(100 * r.agreementBefore).toFixed(1)}% before, ${(100 * r.agreementAfter).toFixed(1)}% after` +
      (given
        ? `\nadapter: ${r.adapterDir}`
        : "\n(a temporary folder, removed now: give a folder to keep the store and adapter)"),
  );
  if (!given) await rm(workDir, { recursive: true, force: true });
}
