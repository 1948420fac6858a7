/**
 * Checks across fields of a config that has each field right on its own (config-schema.ts): the sizes of what
 * the generated problems and the rollout / eval jobs would hold, which no single field bounds.
 */

import { LIMITS } from "./config-limits.js";
import type { PipelineConfig } from "./config-schema.js";
import type { FieldIssue, FieldPath } from "./config-source.js";

/** A job of `problems` × `samples` (problem, sample) pairs over the limit, as an issue of `samplesPath`. */
export function jobPairsIssue(
  problems: number,
  samples: number,
  samplesPath: FieldPath,
  what: string,
): FieldIssue | null {
  if (problems * samples <= LIMITS.jobPairs) return null;
  return {
    path: samplesPath,
    problem: `${problems} ${what} × ${samples} samples is more than the ${LIMITS.jobPairs} (2^24) replies one job takes`,
    value: samples,
  };
}

export function crossFieldIssues(config: PipelineConfig): FieldIssue[] {
  const p = config.problems;
  const g = p.generator;
  const issues: FieldIssue[] = [];
  if ((p.trainFile === undefined) !== (p.evalFile === undefined)) {
    const [given, missing] =
      p.trainFile === undefined ? ["evalFile", "trainFile"] : ["trainFile", "evalFile"];
    issues.push({
      path: ["problems", given],
      problem: `problems.trainFile and problems.evalFile go together: give problems.${missing} too, or neither`,
      value: p.trainFile ?? p.evalFile,
    });
  }
  if (g.minSteps > g.maxSteps) {
    issues.push({
      path: ["problems", "generator", "minSteps"],
      problem: `more than problems.generator.maxSteps (${g.maxSteps})`,
      value: g.minSteps,
    });
  }
  // Problem files are counted when the run starts (the counts may then be cut to the files' sizes).
  if (p.trainFile !== undefined || p.evalFile !== undefined) return issues;
  const generated = p.train + g.pretrainProblems + g.heldOutProblems;
  if (generated > LIMITS.generatedProblems) {
    issues.push({
      path: ["problems", "train"],
      problem:
        `with the generator's ${g.pretrainProblems} pre-training and ${g.heldOutProblems} held-out problems, ` +
        `${generated} problems would be generated, more than ${LIMITS.generatedProblems} (about 1.5 KB each in memory)`,
      value: p.train,
    });
    return issues; // the jobs' sizes below would only repeat it
  }
  if (p.eval > g.heldOutProblems) {
    issues.push({
      path: ["problems", "eval"],
      problem: `more than the held-out split (problems.generator.heldOutProblems = ${g.heldOutProblems})`,
      value: p.eval,
    });
  }
  const rollout = jobPairsIssue(p.train, config.rollout.samples, ["rollout", "samples"], "train problems");
  if (rollout) issues.push(rollout);
  const evaluation = jobPairsIssue(p.eval, config.eval.samples, ["eval", "samples"], "eval problems");
  if (evaluation) issues.push(evaluation);
  return issues;
}
