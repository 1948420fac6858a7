/** GRPO problems: id, question, gold answer — from a JSONL file (one problem per line) or built in code. */
import { readFileSync } from "node:fs";
import { parseProblem } from "@ssb/curation";
import { parseJsonlLine } from "@ssb/durable-files";

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
  // Lines as @ssb/durable-files reads input lines: a byte-order mark on any line skipped (files joined with
  // `cat`), a UTF-16 file, a JSON array or pretty-printed file and Python's NaN named as such, and an id or
  // gold past 2^53 (JSON.parse would round it) refused saying to write it as a string.
  readProblemsText(file)
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const where = `${file}:${i + 1}`;
      const record = parseJsonlLine(line, file, i + 1, { object: false, exactFields: ["id", "answer"] });
      const { id, question, answer } = parseProblem(record, where, String(i + 1));
      if (seen.has(id)) throw new Error(`${where}: "id" ${JSON.stringify(id)} appears twice`);
      seen.add(id);
      out.push({ id, question, answer });
    });
  if (out.length === 0) throw new Error(`${file}: no problems`);
  return out;
}
