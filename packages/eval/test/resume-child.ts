/**
 * Child process for the SIGKILL resume test: evaluates with a slow scripted generator into argv[2], printing a
 * line per sample so the parent knows it is mid-run.
 */
import { runEval } from "../src/run-eval.js";
import { fakeGenerator } from "./fake-generator.js";
import { resumeConfig } from "./resume-config.js";

const outDir = process.argv[2];
if (!outDir) throw new Error("usage: resume-child.ts OUT_DIR");
await runEval({
  config: resumeConfig,
  generator: fakeGenerator({ delayMs: 5 }),
  outDir,
  onProgress: (p) => process.stdout.write(`progress ${p.done}/${p.total}\n`),
});
process.stdout.write("finished\n");
