// Dev only (not committed): hand-made pairs (true solutions, teacher-forced logits) to exercise distill.
import { writeFileSync } from "node:fs";
import { renderStudentMessages } from "@ssb/curation";
import { generateProblems } from "@ssb/default-model";
import { openLogitStoreWriter } from "@ssb/logit-store";
import { Generator, scoreContinuations } from "@ssb/rollout";
const [onnx, out] = process.argv.slice(2) as [string, string];
const gen = await Generator.load(onnx);
const tok = gen.tokenizer!;
const stop = gen.defaultStopTokenIds()[0]!;
const problems = generateProblems({ seed: 5, count: 24, minSteps: 2, maxSteps: 5, maxStart: 30, maxOperand: 9 });
const writer = await openLogitStoreWriter(`${out}/logits`, {
  modelId: "base", tokenizerHash: tok.fingerprint(), vocabSize: gen.vocabSize, k: 20, dtype: "float16", captureTemperature: 0.4,
});
const reqs = problems.map((p) => ({ id: `${p.id}#1`, messages: renderStudentMessages(p.question), continuation: [...tok.encode(p.solution), stop] }));
await scoreContinuations(gen, reqs, { writer });
await writer.close();
const pairs = problems.map((p, i) => ({
  problemId: p.id, gold: p.answer, template: "default", studentMessages: renderStudentMessages(p.question), teacherMessages: renderStudentMessages(p.question),
  response: p.solution, responseTokenIds: reqs[i]!.continuation, finishReason: "stop", teacherAnswer: p.answer, teacherAnswerCorrect: true,
  teacherAttempt: 1, teacherSampling: {}, chosenCorrect: null, chosenWrong: null, rolloutCounts: null, logitKey: `${p.id}#1`,
}));
writeFileSync(`${out}/pairs.jsonl`, pairs.map((p) => JSON.stringify(p)).join("\n") + "\n");
await gen.close();
console.log("ok");
