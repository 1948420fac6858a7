/** The problems file every stage reads, in the layouts users have: ours and GSM8K's own. */
import { readJsonl } from "./jsonl.js";
import { parseProblem } from "./parse-records.js";
import type { Problem } from "./records.js";

/**
 * Reads a problems file: `{id, question, answer}` per line, or GSM8K's own lines as they are (no id: the
 * line number, as ssb-rollout numbers them; a `... #### 72` solution: the gold after `####`). A problem id
 * given twice is an error naming both lines: which of the two records is meant cannot be guessed.
 */
export async function readProblemsFile(path: string): Promise<Problem[]> {
  const out: Problem[] = [];
  const firstLine = new Map<string, number>();
  for await (const { value, line, where } of readJsonl(path, ["id", "answer"])) {
    const problem = parseProblem(value, where, String(line));
    const first = firstLine.get(problem.id);
    if (first !== undefined)
      throw new Error(
        `${where}: duplicate problem id ${JSON.stringify(problem.id)} (first on line ${first})`,
      );
    firstLine.set(problem.id, line);
    out.push(problem);
  }
  return out;
}
