/**
 * Stage 1 of the embedded default's training: pre-trains the model from scratch, reproducibly:
 *   pnpm --filter @ssb/default-model exec tsx scripts/train.ts [--out DIR] [--seed N] [--train N] ...
 * (`pnpm --filter @ssb/default-model train` runs it, then stage 2, scripts/teacher-stage.ts.)
 *
 * 1. draws seeded train / held-out word-problem splits;
 * 2. builds the training mix (student format with a share of recurring mistakes, plus teacher format);
 * 3. trains a byte-level BPE tokenizer on the mix;
 * 4. writes a randomly initialised Qwen2 checkpoint (HF layout) and trains every parameter with
 *    @ssb/distill's SFT mode;
 * 5. writes the trained checkpoint and `training.json` (settings, sizes, timings) to --out.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { qwen2Config, randomWeights } from "@ssb/distill";
import { createTokenizer, writeSafetensors } from "@ssb/model";
import { buildTokenizer, buildTrainingMix, generateSplits, SPECIAL_TOKENS } from "../src/index.js";
import { recordTokens, sftRecords, stageTrainConfig, trainStage, writeSftFile } from "./stage-io.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    // Stage 1's checkpoint; scripts/teacher-stage.ts reads it from here and writes model/ (`pnpm train` runs both).
    out: { type: "string", default: path.join(here, "..", ".train-work", "pretrained") },
    work: { type: "string", default: path.join(here, "..", ".train-work") },
    seed: { type: "string", default: "20261127" },
    train: { type: "string", default: "8000" },
    test: { type: "string", default: "500" },
    vocab: { type: "string", default: "768" },
    hidden: { type: "string", default: "128" },
    layers: { type: "string", default: "4" },
    heads: { type: "string", default: "4" },
    "kv-heads": { type: "string", default: "2" },
    intermediate: { type: "string", default: "384" },
    epochs: { type: "string", default: "2" },
    // 8 x 2 accumulated = 16 per step: a 16 x ~750-token micro-batch overflowed a wasm instance's 4 GiB heap.
    "batch-size": { type: "string", default: "8" },
    "grad-accum": { type: "string", default: "2" },
    lr: { type: "string", default: "0.001" },
    "max-steps": { type: "string", default: "0" },
    "max-start": { type: "string", default: "12" },
    "max-operand": { type: "string", default: "5" },
    // Fewest / most arithmetic steps per problem.
    "min-ops": { type: "string", default: "2" },
    "max-ops": { type: "string", default: "5" },
    workers: { type: "string", default: "2" },
    resume: { type: "boolean", default: false },
    // Writes the data, tokenizer and initial checkpoint (plus tokenized held-out prompts) to --work and stops:
    // for trying settings with another trainer before committing to a long CPU run.
    "prepare-only": { type: "boolean", default: false },
  },
});
const int = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isFinite(v)) throw new Error(`--${name}: expected a number, got "${values[name]}"`);
  return v;
};

const seed = int("seed");
const started = performance.now();
const work = values.work as string;
const out = values.out as string;
const baseDir = path.join(work, "init");
await mkdir(baseDir, { recursive: true });

// 1–2. Problems and the training mix.
const difficulty = {
  minSteps: int("min-ops"),
  maxSteps: int("max-ops"),
  maxStart: int("max-start"),
  maxOperand: int("max-operand"),
};
const { train, test } = generateSplits({ seed, train: int("train"), test: int("test"), ...difficulty });
const mix = buildTrainingMix(train, { seed });
process.stderr.write(
  `problems: ${train.length} train, ${test.length} held out; mix: ${mix.length} examples\n`,
);

// 3. Tokenizer, trained on what the model will read and write.
const corpus = mix.flatMap((e) => [...e.messages.map((m) => m.content), e.reply]);
const built = buildTokenizer(corpus, { vocabSize: int("vocab"), modelMaxLength: 1024 });
await writeFile(path.join(baseDir, "tokenizer.json"), JSON.stringify(built.tokenizer));
await writeFile(
  path.join(baseDir, "tokenizer_config.json"),
  `${JSON.stringify(built.tokenizerConfig, null, 2)}\n`,
);
const tokenizer = createTokenizer(built.tokenizer, built.tokenizerConfig);
const imEnd = built.specialTokenIds["<|im_end|>"];

// 4. The SFT records and the randomly initialised checkpoint.
const records = sftRecords(mix, tokenizer);
await writeSftFile(path.join(work, "sft.jsonl"), records);

const sizes = {
  hidden: int("hidden"),
  layers: int("layers"),
  heads: int("heads"),
  kvHeads: int("kv-heads"),
  intermediate: int("intermediate"),
  vocab: int("vocab"),
};
const configJson = {
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: sizes.hidden,
  intermediate_size: sizes.intermediate,
  num_hidden_layers: sizes.layers,
  num_attention_heads: sizes.heads,
  num_key_value_heads: sizes.kvHeads,
  hidden_act: "silu",
  max_position_embeddings: 1024,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  tie_word_embeddings: true,
  vocab_size: sizes.vocab,
  bos_token_id: null,
  eos_token_id: imEnd,
  pad_token_id: built.specialTokenIds["<|endoftext|>"],
  use_sliding_window: false,
  sliding_window: null,
  attention_dropout: 0,
  torch_dtype: "float32",
};
await writeFile(path.join(baseDir, "config.json"), `${JSON.stringify(configJson, null, 2)}\n`);
const generationConfig = {
  eos_token_id: [imEnd, built.specialTokenIds["<|endoftext|>"]],
  pad_token_id: built.specialTokenIds["<|endoftext|>"],
  do_sample: true,
  temperature: 0.8,
  top_k: 50,
  top_p: 1.0,
};
await writeFile(
  path.join(baseDir, "generation_config.json"),
  `${JSON.stringify(generationConfig, null, 2)}\n`,
);
const modelConfig = qwen2Config({ ...sizes, tied: true });
const init = randomWeights(modelConfig, seed);
const names = [...(await import("@ssb/model")).expectedWeightShapes(modelConfig).keys()];
const tensors = new Map(
  await Promise.all(
    names.map(async (name) => {
      const t = await init.read(name);
      return [name, { dtype: "F32" as const, shape: t.shape, data: t.data }] as const;
    }),
  ),
);
await writeSafetensors(path.join(baseDir, "model.safetensors"), tensors, { format: "pt" });
const parameters = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
process.stderr.write(
  `model: ${parameters.toLocaleString("en-US")} parameters, vocab ${sizes.vocab}; mean sequence ${(recordTokens(records) / records.length).toFixed(0)} tokens\n`,
);

if (values["prepare-only"]) {
  const { DEFAULT_TEMPLATE, renderStudentMessages, renderTeacherMessages } = await import("@ssb/curation");
  const prompts = test.map((p) => {
    const usual = p.mistakes[0];
    const teacher = usual
      ? tokenizer.encodeChat(
          renderTeacherMessages(DEFAULT_TEMPLATE, {
            question: p.question,
            correct_response: p.solution,
            wrong_response: usual.solution,
            correct_answer: p.answer,
            wrong_answer: usual.answer,
          }),
          { addGenerationPrompt: true },
        )
      : null;
    const student = tokenizer.encodeChat(renderStudentMessages(p.question), { addGenerationPrompt: true });
    return JSON.stringify({ id: p.id, answer: p.answer, student, teacher });
  });
  await writeFile(path.join(work, "held-out-prompts.jsonl"), `${prompts.join("\n")}\n`);
  process.stderr.write(`prepared ${work} (sft.jsonl, init/, held-out-prompts.jsonl)\n`);
  process.exit(0);
}

// 5. Train every parameter with cross-entropy on the replies.
const config = stageTrainConfig({
  lr: Number(values.lr),
  epochs: int("epochs"),
  maxSteps: int("max-steps"),
  seed,
  workers: int("workers"),
  batchSize: int("batch-size"),
  gradAccumSteps: int("grad-accum"),
  checkpointEvery: 100,
});
const result = await trainStage({ modelDir: baseDir, work, config, resume: values.resume, out });
const minutes = (performance.now() - started) / 60_000;
const summary = {
  seed,
  difficulty,
  problems: { train: train.length, heldOut: test.length },
  mix: {
    student: mix.filter((e) => e.kind === "student").length,
    studentMistake: mix.filter((e) => e.kind === "student-mistake").length,
    teacher: mix.filter((e) => e.kind === "teacher").length,
  },
  tokenizer: { vocabSize: sizes.vocab, merges: built.merges.length, specialTokens: SPECIAL_TOKENS },
  model: { ...sizes, parameters },
  training: {
    ...config,
    tokensSeen: recordTokens(records) * config.epochs,
    minutes: Number(minutes.toFixed(1)),
  },
  result: { steps: result.steps, lastLoss: result.lastLoss },
};
await writeFile(path.join(out, "training.json"), `${JSON.stringify(summary, null, 2)}\n`);
process.stderr.write(`done in ${minutes.toFixed(1)} min → ${out}\n`);
