/** GRPO problems: id, question, gold answer — from a JSONL file (one problem per line) or built in code. */
import { readFileSync } from "node:fs";

export interface GrpoProblem {
  id: string;
  question: string;
  /** Gold answer as text (what the verifier compares the boxed answer with). */
  answer: string;
}

/** Problems from JSONL: `id`, `question`, `answer` (a number is accepted and turned into text). */
export function readProblems(file: string): GrpoProblem[] {
  const out: GrpoProblem[] = [];
  const seen = new Set<string>();
  readFileSync(file, "utf8")
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
      if (typeof record !== "object" || record === null || Array.isArray(record))
        throw new Error(`${where}: expected a JSON object`);
      const r = record as Record<string, unknown>;
      const id = r.id;
      if (typeof id !== "string" || id === "") throw new Error(`${where}: "id" must be a non-empty string`);
      if (seen.has(id)) throw new Error(`${where}: "id" ${JSON.stringify(id)} appears twice`);
      seen.add(id);
      if (typeof r.question !== "string" || r.question === "")
        throw new Error(`${where}: "question" must be a non-empty string`);
      const answer = r.answer;
      if (typeof answer !== "string" && typeof answer !== "number")
        throw new Error(`${where}: "answer" must be a string or a number`);
      out.push({ id, question: r.question, answer: String(answer) });
    });
  if (out.length === 0) throw new Error(`${file}: no problems`);
  return out;
}
