/**
 * Child process for the SIGKILL resume test: curates a synthetic run with a slow scripted teacher into the
 * directory given as argv[2], printing a line per batch so the parent knows it is mid-run.
 */
import { runCuration } from "../src/run-curation.js";
import { resumeTestConfig, resumeTestInputs, resumeTestTeacher } from "./resume-fixture.js";

const outDir = process.argv[2];
if (!outDir) throw new Error("usage: resume-child.ts OUT_DIR");
const { problems, rollouts } = resumeTestInputs();
await runCuration({
  problems,
  rollouts,
  outDir,
  config: resumeTestConfig,
  generator: resumeTestTeacher(8),
  onProgress: (p) => process.stdout.write(`progress ${p.done}/${p.total}\n`),
});
process.stdout.write("finished\n");
