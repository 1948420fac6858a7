/**
 * Stage 2 of the embedded default's training: the teacher stage (`buildTeacherStageMix`), on top of the
 * pre-trained checkpoint that scripts/train.ts wrote.
 *   pnpm --filter @ssb/default-model exec tsx scripts/teacher-stage.ts [--from DIR] [--work DIR] [--out DIR]
 * (`pnpm --filter @ssb/default-model train` runs both stages.) Pre-trained, the model solves a teacher prompt
 * from its question and ignores the correct attempt it is shown; this stage teaches it to read that attempt.
 * Seeded from the pre-training seed; resumable with --resume.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadTokenizer } from "@ssb/model";
import { buildTeacherStageMix } from "../src/index.js";
import {
  readTrainingSummary,
  recordTokens,
  sftRecords,
  stageTrainConfig,
  trainStage,
  writeSftFile,
} from "./stage-io.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    from: { type: "string", default: path.join(here, "..", ".train-work", "pretrained") },
    work: { type: "string", default: path.join(here, "..", ".train-work", "teacher-stage") },
    out: { type: "string", default: path.join(here, "..", "model") },
    hard: { type: "string", default: "2000" },
    easy: { type: "string", default: "1000" },
    replay: { type: "string", default: "1500" },
    "hard-max-start": { type: "string", default: "30" },
    "hard-max-operand": { type: "string", default: "9" },
    lr: { type: "string", default: "0.0005" },
    epochs: { type: "string", default: "1" },
    workers: { type: "string", default: "2" },
    "max-steps": { type: "string", default: "0" },
    resume: { type: "boolean", default: false },
    // Writes the stage's sft.jsonl to --work and stops.
    "prepare-only": { type: "boolean", default: false },
  },
});
const from = path.resolve(values.from as string);
const work = path.resolve(values.work as string);
const out = path.resolve(values.out as string);
if (from === out) throw new Error("--from and --out must differ: the stage reads --from and replaces --out");
const started = performance.now();

const { summary: base, train, test } = readTrainingSummary(from);
const seed = base.seed + 2_000_003;
const easyCount = Number(values.easy);
const replayCount = Number(values.replay);
const { examples, hardProblems } = buildTeacherStageMix({
  seed,
  train,
  heldOut: new Set(test.map((p) => p.question)),
  difficulty: base.difficulty,
  hard: Number(values.hard),
  hardMaxStart: Number(values["hard-max-start"]),
  hardMaxOperand: Number(values["hard-max-operand"]),
  easy: easyCount,
  replay: replayCount,
});
process.stderr.write(
  `teacher stage: ${examples.length} examples (${hardProblems.length} hard problems, ${easyCount} easy teacher, ${replayCount} student replay)\n`,
);

const tokenizer = await loadTokenizer(from);
await mkdir(work, { recursive: true });
const records = sftRecords(examples, tokenizer);
await writeSftFile(path.join(work, "sft.jsonl"), records);
if (values["prepare-only"]) {
  process.stderr.write(`prepared ${path.join(work, "sft.jsonl")}\n`);
  process.exit(0);
}

const config = stageTrainConfig({
  lr: Number(values.lr),
  epochs: Number(values.epochs),
  maxSteps: Number(values["max-steps"]),
  seed,
  workers: Number(values.workers),
  batchSize: 8,
  gradAccumSteps: 2,
  checkpointEvery: 50,
});
const result = await trainStage({ modelDir: from, work, config, resume: values.resume, out });
const minutes = (performance.now() - started) / 60_000;
await writeFile(
  path.join(out, "training.json"),
  `${JSON.stringify(
    {
      ...base,
      teacherStage: {
        seed,
        hard: {
          count: hardProblems.length,
          maxStart: Number(values["hard-max-start"]),
          maxOperand: Number(values["hard-max-operand"]),
        },
        easyTeacher: easyCount,
        studentReplay: replayCount,
        examples: records.length,
        tokensSeen: recordTokens(records) * config.epochs,
        config,
        minutes: Number(minutes.toFixed(1)),
        steps: result.steps,
        lastLoss: result.lastLoss,
      },
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`teacher stage done in ${minutes.toFixed(1)} min → ${out}\n`);
