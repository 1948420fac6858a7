/** Problems JSONL (`{id, question, ...}`, or `{id, messages}`, or `{id, promptIds}`) as prompts. */
import { fieldRenameHint, isUnsafeInteger, unsafeIntegerError } from "@ssb/durable-files";
import type { ChatMessage } from "@ssb/model";
import { RolloutError } from "./errors.js";
import { jsonLines } from "./file-lines.js";

export interface ProblemPrompt {
  id: string;
  messages?: ChatMessage[];
  promptIds?: number[];
}

function messagesOf(value: unknown, where: string): ChatMessage[] {
  if (!Array.isArray(value)) throw new RolloutError(`${where}: "messages" must be a list of {role, content}`);
  return value.map((m, i) => {
    const o = m as Record<string, unknown>;
    if (typeof o?.role !== "string" || typeof o.content !== "string") {
      throw new RolloutError(`${where}: messages[${i}] must have string "role" and "content"`);
    }
    return { role: o.role, content: o.content };
  });
}

/** The fields a problem needs, with the names other datasets give them (see fieldRenameHint). */
const PROBLEM_FIELDS = { id: [], question: ["problem"] } as const;

/**
 * An id written as a number is taken as its digits, but only a whole number, as @ssb/curation takes it (1.5
 * was taken here and refused by ssb-curate later), and only one JSON.parse read exactly: past 2^53 its
 * digits have changed, and two ids could become one.
 */
function idOf(value: unknown, where: string): unknown {
  if (typeof value !== "number") return value;
  if (isUnsafeInteger(value)) throw new RolloutError(unsafeIntegerError(where, "id", value).message);
  if (!Number.isInteger(value))
    throw new RolloutError(
      `${where}: field "id" is the number ${value}: an id must be a non-empty string or a whole number (write it as a string, "id": "${value}", to keep it)`,
    );
  return String(value);
}

/** Parse one problem record; `systemPrompt` (when given) leads the messages built from `question`. */
export function parseProblemRecord(
  value: unknown,
  where: string,
  systemPrompt?: string,
  fallbackId?: string,
): ProblemPrompt {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    // A whole JSON array of problems on one line: the file is a JSON document, not one problem per line.
    const found = Array.isArray(value)
      ? "an array; a line holding an array of records is not JSON Lines (one JSON object per line): jq -c '.[]' FILE > FILE.jsonl writes one per line"
      : value === null
        ? "null"
        : typeof value;
    throw new RolloutError(`${where}: expected a JSON object, found ${found}`);
  }
  const o = value as Record<string, unknown>;
  // A teacher-prompts.jsonl line (curation's: problemId, messages, requests, no id) would otherwise pass as a
  // problem numbered by its line, and the job write rollouts of the teacher's prompts.
  if (o.question === undefined && typeof o.problemId === "string" && Array.isArray(o.requests))
    throw new RolloutError(
      `${where}: this looks like a teacher-prompts file ("problemId" and "requests", as ssb-curate writes it), not problems: use --teacher-prompts FILE (readTeacherPromptsFile and runTeacherReplies in code)`,
    );
  // Files without ids (GSM8K's own JSONL) get their line number, stable as long as the file is unchanged.
  const id = o.id === undefined ? fallbackId : idOf(o.id, where);
  if (typeof id !== "string" || id === "")
    throw new RolloutError(`${where}: field "id" must be a non-empty string`);
  if (o.messages !== undefined) return { id, messages: messagesOf(o.messages, where) };
  if (o.promptIds !== undefined) {
    const ids = o.promptIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((t) => !Number.isInteger(t) || t < 0)) {
      throw new RolloutError(`${where}: field "promptIds" must be a non-empty list of token ids`);
    }
    return { id, promptIds: ids as number[] };
  }
  if (typeof o.question !== "string") {
    throw new RolloutError(
      `${where}: needs "question" (string), "messages" or "promptIds"${o.question === undefined ? `; ${fieldRenameHint(o, PROBLEM_FIELDS)}` : ""}`,
    );
  }
  const messages: ChatMessage[] = [];
  if (systemPrompt !== undefined) messages.push({ role: "system", content: systemPrompt });
  messages.push({ role: "user", content: o.question });
  return { id, messages };
}

/**
 * Read a problems JSONL. Lines are read as they come (files of any size); with `limit`, reading stops after
 * that many problems. A file with no problem in it is an error: a job over nothing is a mistake.
 */
export function readProblemsFile(file: string, systemPrompt?: string, limit?: number): ProblemPrompt[] {
  const out: ProblemPrompt[] = [];
  const ids = new Map<string, string>(); // id -> where it was first seen
  // Checked before the next line is read: jsonLines parses a line as it yields it, so a check at the top of
  // the loop would still fail `--limit 2` on a malformed line 3 the job never uses.
  if (limit === undefined || limit > 0)
    for (const { value, line, where } of jsonLines(file, "problems", ["id"])) {
      const p = parseProblemRecord(value, where, systemPrompt, String(line));
      const first = ids.get(p.id);
      if (first !== undefined)
        throw new RolloutError(
          `${where}: duplicate problem id "${p.id}" (first at ${first}); ids must be unique`,
        );
      ids.set(p.id, where);
      out.push(p);
      if (limit !== undefined && out.length >= limit) break;
    }
  if (out.length === 0) throw new RolloutError(`${file}: no problems in the file`);
  return out;
}
