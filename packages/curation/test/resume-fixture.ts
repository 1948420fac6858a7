/** Inputs shared by the SIGKILL resume test and its child process, so both runs see the same data. */
import type { CurationConfig } from "../src/run-curation.js";
import { fakeEquivalence, fakeGrader, problemOfRequest, ScriptedGenerator, syntheticRun } from "./fakes.js";

export const resumeTestInputs = () => syntheticRun(60, 6);

export const resumeTestConfig: CurationConfig = {
  grader: fakeGrader,
  equivalence: fakeEquivalence,
  seed: 2024,
  correctChoice: "random",
  maxAttempts: 2,
  batchSize: 3,
};

/** Right on the second try for every 5th problem, wrong for good for every 9th, right at once otherwise. */
export function resumeTestTeacher(delayMs: number): ScriptedGenerator {
  const golds = new Map(resumeTestInputs().problems.map((p) => [p.id, p.answer]));
  return new ScriptedGenerator((r) => {
    const id = problemOfRequest(r);
    const n = Number(id.slice(1));
    const wrong = n % 9 === 0 || (n % 5 === 0 && r.id.endsWith("#1"));
    return { text: `Seed ${r.sampling.seed}: solution of ${id}. \\boxed{${wrong ? "-7" : golds.get(id)}}` };
  }, delayMs);
}
