/** GRPO problems: id, question, gold answer — from a JSONL file (one problem per line) or built in code. */
import { readFileSync } from "node:fs";
import { parseProblem } from "@ssb/curation";
import { stripBom } from "@ssb/durable-files";

export interface GrpoProblem {
  id: string;
  question: string;
  /** Gold answer as text (what the verifier compares the boxed answer with). */
  answer: string;
}

/** The file's text; a folder or a missing file is named as such rather than as a bare EISDIR / ENOENT. */
function readProblemsText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new Error(`${file}: is a directory, expected a JSONL file of problems`);
    if (code === "ENOENT") throw new Error(`${file}: no such file`);
    throw new Error(`${file}: cannot read (${(error as Error).message})`);
  }
}

/**
 * Problems from JSONL: `id`, `question`, `answer` (a number is accepted and turned into text), read as
 * @ssb/curation reads them, so GSM8K's own lines work as they are: no id is the line number (as ssb-rollout
 * numbers them), and a `... #### 72` solution's gold is what follows `####`.
 */
export function readProblems(file: string): GrpoProblem[] {
  const out: GrpoProblem[] = [];
  const seen = new Set<string>();
  // A leading byte-order mark (Windows editors) is not part of the first problem.
  stripBom(readProblemsText(file))
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const where = `${file}:${i + 1}`;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
      }
      const { id, question, answer } = parseProblem(record, where, String(i + 1));
      if (seen.has(id)) throw new Error(`${where}: "id" ${JSON.stringify(id)} appears twice`);
      seen.add(id);
      out.push({ id, question, answer });
    });
  if (out.length === 0) throw new Error(`${file}: no problems`);
  return out;
}
