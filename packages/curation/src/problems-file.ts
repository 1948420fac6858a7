/** The problems file every stage reads, in the layouts users have: ours and GSM8K's own. */
import { readJsonl } from "./jsonl.js";
import { parseProblem } from "./parse-records.js";
import type { Problem } from "./records.js";

/**
 * Reads a problems file: `{id, question, answer}` per line, or GSM8K's own lines as they are (no id: the
 * line number, as ssb-rollout numbers them; a `... #### 72` solution: the gold after `####`).
 */
export async function readProblemsFile(path: string): Promise<Problem[]> {
  const out: Problem[] = [];
  for await (const { value, line, where } of readJsonl(path))
    out.push(parseProblem(value, where, String(line)));
  return out;
}
