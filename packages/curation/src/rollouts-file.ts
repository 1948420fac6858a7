/** The rollouts file (`ssb-rollout`'s output, or any tool's) read with its line numbers kept for errors. */
import { readJsonl } from "./jsonl.js";
import { parseRollout } from "./parse-records.js";
import type { Rollout } from "./records.js";

/**
 * Reads a rollouts file. A sample given twice (the same problemId and sampleIndex, e.g. two runs' files
 * concatenated) is an error naming both lines: keeping either would silently pick one of two answers.
 */
export async function readRolloutsFile(path: string): Promise<Rollout[]> {
  const out: Rollout[] = [];
  const firstLine = new Map<string, number>();
  for await (const { value, line, where } of readJsonl(path, ["problemId"])) {
    const rollout = parseRollout(value, where);
    const key = `${rollout.problemId}\u0000${rollout.sampleIndex}`;
    const first = firstLine.get(key);
    if (first !== undefined) {
      throw new Error(
        `${where}: duplicate sample: problem ${JSON.stringify(rollout.problemId)}, sampleIndex ${rollout.sampleIndex} (first on line ${first})`,
      );
    }
    firstLine.set(key, line);
    out.push(rollout);
  }
  return out;
}
