/**
 * A small synthetic KD task on the fixture model: the teacher is the base model plus a hidden random LoRA, the
 * student starts from a fresh LoRA and has to recover the teacher's distributions on the reply tokens. Writes
 * pairs.jsonl (curation's format, raw prompts) and a logit store (@ssb/logit-store) like the real pipeline.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import {
  EMBED_TOKENS_WEIGHT,
  loadCheckpoint,
  loadTokenizer,
  openSafetensors,
  type TensorToWrite,
  writeSafetensors,
} from "@ssb/model";
import { type DecoderModel, loadDecoder } from "../src/model.js";
import { loadPairExamples } from "../src/pairs-data.js";
import { createRng } from "../src/rng.js";
import type { TrainingExample } from "../src/training-example.js";
import { FIXTURE_DIR } from "./fixture.js";

/**
 * The fixture's weights give near-uniform distributions (|logit| < ~1.3 whatever the hidden state), too flat
 * for a top-1 agreement test. This base scales the (tied) embedding by `embedScale`, which lets the model
 * express sharp distributions; everything else (config, tokenizer, layer weights) is the fixture's.
 */
export async function buildSyntheticBase(dir: string, embedScale = 15): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"])
    copyFileSync(path.join(FIXTURE_DIR, f), path.join(dir, f));
  const reader = await openSafetensors(path.join(FIXTURE_DIR, "model.safetensors"));
  const tensors = new Map<string, TensorToWrite>();
  for (const name of reader.names()) {
    const t = await reader.readFloat32(name);
    const data = name === EMBED_TOKENS_WEIGHT ? t.data.map((x) => x * embedScale) : t.data;
    tensors.set(name, { dtype: "F32", shape: t.shape, data });
  }
  await reader.close();
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt" });
  return dir;
}

export async function loadBase(dir: string): Promise<DecoderModel> {
  const checkpoint = await loadCheckpoint(dir);
  const model = await loadDecoder(
    checkpoint.config,
    (n) => checkpoint.weights.readFloat32(n),
    (n) => checkpoint.weights.has(n),
  );
  await checkpoint.close();
  return model;
}

export interface SyntheticKd {
  modelDir: string;
  pairsFile: string;
  logitsDir: string;
  /** Teacher argmax per reply row, in pair order (for agreement checks). */
  teacherTop1: Int32Array[];
}

export interface SyntheticKdOptions {
  examples?: number;
  replyLength?: number;
  k?: number;
  seed?: number;
  /** Letters used by the rule (token ids 65..65+alphabet-1). */
  alphabet?: number;
  embedScale?: number;
}

/**
 * The teacher follows a hidden rule: the next token is f(current token) for a fixed random permutation f of
 * the alphabet. Each reply starts after the prompt "S q<L>" and continues L -> f(L) -> f(f(L)) ...; the
 * teacher's top-1 at every reply row is that next token (as when the teacher samples its own reply greedily),
 * with logit 4, followed by k-1 other letters with logits 1, 0.9, ... The student (base + fresh LoRA) has
 * to learn f from the teacher's distributions alone.
 */
export async function buildSyntheticKd(dir: string, options: SyntheticKdOptions = {}): Promise<SyntheticKd> {
  const { examples = 8, replyLength = 16, k = 8, seed = 7, alphabet = 16, embedScale = 8 } = options;
  const modelDir = await buildSyntheticBase(path.join(dir, "base"), embedScale);
  const v = 256;
  const rng = createRng(seed, "synthetic");
  const letters = Array.from({ length: alphabet }, (_, i) => 65 + i);
  const perm = [...letters];
  for (let i = perm.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
  }
  const f = (id: number): number => perm[id - 65] as number;
  const writer = await openLogitStoreWriter(path.join(dir, "logits"), {
    modelId: "synthetic-teacher",
    tokenizerHash: "byte-level-256",
    vocabSize: v,
    k,
    dtype: "float32",
    captureTemperature: 1,
  });
  const lines: string[] = [];
  const teacherTop1: Int32Array[] = [];
  for (let e = 0; e < examples; e++) {
    const start = letters[rng.int(alphabet)] as number;
    const messages = [
      { role: "system", content: "S" },
      { role: "user", content: `q${String.fromCharCode(start)}` },
    ];
    const reply: number[] = [];
    let current = start;
    for (let i = 0; i < replyLength; i++) {
      current = f(current);
      reply.push(current);
    }
    const topkIds: number[] = [];
    const topkLogits: number[] = [];
    const logSumExp: number[] = [];
    for (const next of reply) {
      const others = letters.filter((l) => l !== next);
      const picked: number[] = [];
      while (picked.length < k - 1) {
        const c = others[rng.int(others.length)] as number;
        if (!picked.includes(c)) picked.push(c);
      }
      const logits = [4, ...picked.map((_, j) => 1 - 0.1 * j)];
      topkIds.push(next, ...picked);
      topkLogits.push(...logits);
      // Every other token of the vocabulary at logit -2.
      logSumExp.push(Math.log(logits.reduce((s, x) => s + Math.exp(x), 0) + (v - k) * Math.exp(-2)));
    }
    teacherTop1.push(Int32Array.from(reply));
    const key = `synthetic-${e}#1`;
    writer.writeExample(key, { tokenIds: reply, topkIds, topkLogits, logSumExp });
    lines.push(
      JSON.stringify({
        problemId: `p${e}`,
        studentMessages: messages,
        responseTokenIds: reply,
        logitKey: key,
      }),
    );
  }
  await writer.close();
  const pairsFile = path.join(dir, "pairs.jsonl");
  writeFileSync(pairsFile, `${lines.join("\n")}\n`);
  return { modelDir, pairsFile, logitsDir: path.join(dir, "logits"), teacherTop1 };
}

/** The synthetic task's pairs as train() takes them (raw prompts, teacher rows from its logit store). */
export async function loadSyntheticExamples(data: SyntheticKd): Promise<TrainingExample[]> {
  const tokenizer = await loadTokenizer(data.modelDir);
  const store = await openLogitStore(data.logitsDir);
  try {
    return await loadPairExamples(data.pairsFile, { tokenizer, promptMode: "raw", store });
  } finally {
    store.close();
  }
}
