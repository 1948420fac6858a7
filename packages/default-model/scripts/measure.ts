/**
 * Measures the committed default model's base behaviour with the project's own eval code:
 *   pnpm --filter @ssb/default-model measure [--model DIR] [--out DIR] [--n 4] [--limit N]
 *
 * - student pass@1 on the held-out split at temperature 0.8 (n samples per problem, 95% bootstrap CI),
 *   and the share of problems whose K=n samples mix correct and wrong answers (what SSB curation keeps);
 * - the teacher's accuracy at temperature 0.4 when its prompt holds a correct and a wrong attempt (the
 *   problem's worked solution and its usual mistake), next to the student's at the same temperature;
 * - response lengths.
 * Writes `held-out.jsonl` into the model folder (regenerated from training.json, so it is reproducible) and
 * `measured.json` with every number and the settings that produced it.
 */
import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_TEMPLATE, renderTeacherMessages } from "@ssb/curation";
import {
  type BenchmarkSummary,
  bootstrapMeanCI,
  groupRecords,
  openModelGenerator,
  type RunEvalResult,
  runEval,
  type SampleRecord,
} from "@ssb/eval";
import { readTrainingSummary } from "./stage-io.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: "string", default: path.join(here, "..", "model") },
    out: { type: "string", default: path.join(here, "..", ".measure-work") },
    n: { type: "string", default: "4" },
    limit: { type: "string", default: "0" },
    "max-new-tokens": { type: "string", default: "512" },
    seed: { type: "string", default: "0" },
  },
});
const modelDir = path.resolve(values.model as string);
const out = path.resolve(values.out as string);
const n = Number(values.n);
const maxNewTokens = Number(values["max-new-tokens"]);
const seed = Number(values.seed);
const limit = Number(values.limit);
await mkdir(out, { recursive: true });

const { summary: training, test } = readTrainingSummary(modelDir);
const heldOut = limit > 0 ? test.slice(0, limit) : test;
const heldOutFile = path.join(modelDir, "held-out.jsonl");
if (limit === 0) {
  writeFileSync(
    heldOutFile,
    `${test.map((p) => JSON.stringify({ id: p.id, question: p.question, answer: p.answer })).join("\n")}\n`,
  );
}
const studentFile = path.join(out, "student.jsonl");
writeFileSync(
  studentFile,
  `${heldOut.map((p) => JSON.stringify({ id: p.id, question: p.question, answer: p.answer })).join("\n")}\n`,
);
// The teacher benchmark: the same problems, the question replaced by the hinted teacher turn.
const teacherFile = path.join(out, "teacher.jsonl");
const teacherSystem = renderTeacherMessages(DEFAULT_TEMPLATE, {
  question: "",
  correct_response: "",
  wrong_response: "",
  correct_answer: "",
  wrong_answer: "",
})[0]?.content as string;
writeFileSync(
  teacherFile,
  `${heldOut
    .filter((p) => p.mistakes[0] !== undefined)
    .map((p) => {
      const usual = p.mistakes[0] as (typeof p.mistakes)[number];
      const messages = renderTeacherMessages(DEFAULT_TEMPLATE, {
        question: p.question,
        correct_response: p.solution,
        wrong_response: usual.solution,
        correct_answer: p.answer,
        wrong_answer: usual.answer,
      });
      return JSON.stringify({ id: p.id, question: messages[1]?.content, answer: p.answer });
    })
    .join("\n")}\n`,
);

const spec = (name: string, file: string) => ({
  name,
  file,
  questionField: "question",
  answerField: "answer",
  idField: "id",
});
const generator = await openModelGenerator({
  model: modelDir,
  workDir: out,
  log: (m: string) => process.stderr.write(`${m}\n`),
});
const progress = (label: string) => (p: { done: number; total: number }) => {
  if (p.done === p.total || p.done % 200 === 0) process.stderr.write(`${label}: ${p.done}/${p.total}\n`);
};
const timed = async (
  label: string,
  run: () => Promise<RunEvalResult>,
): Promise<{ result: RunEvalResult; seconds: number }> => {
  const t0 = performance.now();
  const result = await run();
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write(`${label}: ${seconds.toFixed(0)} s\n`);
  return { result, seconds };
};
const student = await timed("student T=0.8", () =>
  runEval({
    config: {
      benchmarks: [spec("held-out", studentFile)],
      n,
      sampling: { temperature: 0.8, topK: 50, maxNewTokens },
      seed,
      name: "default model, T=0.8",
    },
    generator,
    outDir: path.join(out, "student-t0.8"),
    onProgress: progress("student T=0.8"),
  }),
);
const studentLow = await timed("student T=0.4", () =>
  runEval({
    config: {
      benchmarks: [spec("held-out", studentFile)],
      n: 1,
      sampling: { temperature: 0.4, topK: 50, maxNewTokens },
      seed,
      name: "default model, T=0.4",
    },
    generator,
    outDir: path.join(out, "student-t0.4"),
    onProgress: progress("student T=0.4"),
  }),
);
const teacher = await timed("teacher T=0.4", () =>
  runEval({
    config: {
      benchmarks: [spec("teacher", teacherFile)],
      n: 1,
      sampling: { temperature: 0.4, topK: 50, maxNewTokens },
      seed,
      systemPrompt: teacherSystem,
      name: "default model as teacher, T=0.4",
    },
    generator,
    outDir: path.join(out, "teacher-t0.4"),
    onProgress: progress("teacher T=0.4"),
  }),
);
await generator.close?.();

// Mixed problems at K=n: at least one correct and one wrong (a different extracted answer), as curation keeps.
const byProblem = groupRecords(student.result.records).get("held-out") ?? new Map<string, SampleRecord[]>();
const mixedFlags = [...byProblem.values()].map((rs) =>
  rs.some((r) => r.correct) && rs.some((r) => r.verdict === "wrong") ? 1 : 0,
);
const allWrongFlags = [...byProblem.values()].map((rs) => (rs.every((r) => !r.correct) ? 1 : 0));
const mixed = bootstrapMeanCI(mixedFlags, { seed: 0 });
const allWrong = bootstrapMeanCI(allWrongFlags, { seed: 0 });
const first = (s: RunEvalResult): BenchmarkSummary => s.summary.benchmarks[0] as BenchmarkSummary;
const pct = (x: number): string => (100 * x).toFixed(1);
const ci = (b: { estimate: number; lower: number; upper: number }): string =>
  `${pct(b.estimate)} [${pct(b.lower)}, ${pct(b.upper)}]`;

const s8 = first(student.result);
const s4 = first(studentLow.result);
const t4 = first(teacher.result);
const measured = {
  model: path.basename(modelDir),
  problems: heldOut.length,
  command: `pnpm --filter @ssb/default-model measure${limit > 0 ? ` --limit ${limit}` : ""} --n ${n} --max-new-tokens ${maxNewTokens}`,
  settings: { n, maxNewTokens, seed, topK: 50 },
  student: {
    pass1T08: s8.pass1,
    pass1T04: s4.pass1,
    mixedShareAtK: { k: n, ...mixed },
    allWrongShareAtK: { k: n, ...allWrong },
    noAnswerRate: s8.noAnswerRate,
    truncationRate: s8.truncationRate,
    length: s8.length,
  },
  teacher: { accuracyT04: t4.pass1, noAnswerRate: t4.noAnswerRate, length: t4.length },
  seconds: { studentT08: student.seconds, studentT04: studentLow.seconds, teacherT04: teacher.seconds },
  pretrainingMinutes: training.training.minutes,
  teacherStageMinutes: training.teacherStage?.minutes ?? null,
};
writeFileSync(path.join(modelDir, "measured.json"), `${JSON.stringify(measured, null, 2)}\n`);
process.stdout.write(
  [
    `| measure (${heldOut.length} held-out problems) | value (95% CI) |`,
    "|---|---|",
    `| student pass@1, T=0.8, n=${n} | ${ci(s8.pass1)} |`,
    `| student pass@1, T=0.4, n=1 | ${ci(s4.pass1)} |`,
    `| teacher accuracy (correct + wrong attempt in the prompt), T=0.4 | ${ci(t4.pass1)} |`,
    `| problems with mixed correct / wrong answers at K=${n} | ${ci(mixed)} |`,
    `| problems with no correct answer at K=${n} | ${ci(allWrong)} |`,
    `| student reply length, tokens (mean / median / max) | ${s8.length.mean.toFixed(0)} / ${s8.length.median} / ${s8.length.max} |`,
    `| no-answer / truncated share (student, T=0.8) | ${pct(s8.noAnswerRate)} / ${pct(s8.truncationRate)} |`,
    `| pre-training time | ${training.training.minutes} min |`,
    ...(training.teacherStage ? [`| teacher stage time | ${training.teacherStage.minutes} min |`] : []),
    "",
  ].join("\n"),
);
