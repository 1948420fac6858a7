/** Problems JSONL (`{id, question, ...}`, or `{id, messages}`, or `{id, promptIds}`) as prompts. */
import { fieldRenameHint, isUnsafeInteger, unsafeIntegerError } from "@ssb/durable-files";
import type { ChatMessage } from "@ssb/model";
import { checkPromptMessages } from "./chat-roles.js";
import { RolloutError } from "./errors.js";
import { jsonLines } from "./file-lines.js";

export interface ProblemPrompt {
  id: string;
  messages?: ChatMessage[];
  promptIds?: number[];
  /** Where the problem was read (`file:line`), for errors about it found later (its promptIds' vocabulary). */
  where?: string;
}

function messagesOf(value: unknown, where: string): ChatMessage[] {
  if (!Array.isArray(value)) throw new RolloutError(`${where}: "messages" must be a list of {role, content}`);
  // No turn at all renders only the template's generation prompt: a reply to nothing, sampled n times.
  if (value.length === 0)
    throw new RolloutError(`${where}: "messages" is empty; a prompt needs at least one {role, content}`);
  const messages = value.map((m, i) => {
    const o = m as Record<string, unknown>;
    // Only role and content are kept (and recorded as the prompt): a tool call beside them was dropped unsaid.
    if (o !== null && typeof o === "object" && o.tool_calls !== undefined && o.tool_calls !== null)
      throw new RolloutError(
        `${where}: messages[${i}] has "tool_calls"; a problem's messages are read as role and content only, so the call would be left out of the prompt (tool calls are not supported here: render the prompt yourself and give "promptIds")`,
      );
    // OpenAI's content parts ([{"type": "text", "text": ...}]) are not rendered by the templates rollout runs.
    if (typeof o?.role === "string" && Array.isArray(o.content))
      throw new RolloutError(
        `${where}: messages[${i}].content is a list (content parts?); a prompt's content must be a string: join the text parts (jq: .content |= (map(.text) | join("")))`,
      );
    if (typeof o?.role !== "string" || typeof o.content !== "string") {
      throw new RolloutError(`${where}: messages[${i}] must have string "role" and "content"`);
    }
    return { role: o.role, content: o.content };
  });
  checkPromptMessages(messages, where);
  // As a blank "question" is refused: the reply would answer nothing (an empty cell exported from a sheet).
  const last = messages[messages.length - 1] as ChatMessage;
  if (last.role === "user" && last.content.trim() === "")
    throw new RolloutError(
      `${where}: the last message (messages[${messages.length - 1}], the user turn) is empty`,
    );
  return messages;
}

/** The fields that each make a problem's prompt; a line holds exactly one of them. */
const PROMPT_FIELDS = ["question", "messages", "promptIds"] as const;

/** A JSON value's kind, as an error names what it found. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `the ${typeof value} ${JSON.stringify(value)}`;
}

/** The fields a problem needs, with the names other datasets give them (see fieldRenameHint). */
// MATH500's "unique_id" is the id ssb-eval names its problems by: renamed with the question, the rollouts of
// the shipped file match ssb-eval's problems (numbered by line, they matched none).
const PROBLEM_FIELDS = { id: ["unique_id"], question: ["problem"] } as const;

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
  // One prompt per line: with two of these fields the first below won without a word, so a file with both a
  // "question" and (say) SFT-style "messages" was sampled from the messages, --system ignored.
  // null is no field: a mixed file written through pandas or `datasets` (question lines and messages lines)
  // holds `"messages": null` beside each question, which was refused as a line with two prompts.
  const given = PROMPT_FIELDS.filter((f) => o[f] !== undefined && o[f] !== null);
  if (given.length > 1)
    throw new RolloutError(
      `${where}: holds ${given.map((f) => `"${f}"`).join(" and ")}; a problem's prompt is one of "question" (given the system turn), "messages" or "promptIds" (used as they are): keep the one meant (jq -c 'del(.${given[1]})' FILE > NEW drops "${given[1]}")`,
    );
  if (given[0] === "messages") return { id, messages: messagesOf(o.messages, where) };
  if (given[0] === "promptIds") {
    const ids = o.promptIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((t) => !Number.isInteger(t) || t < 0)) {
      throw new RolloutError(`${where}: field "promptIds" must be a non-empty list of token ids`);
    }
    return { id, promptIds: ids as number[] };
  }
  if (typeof o.question !== "string") {
    const found =
      o.question === undefined
        ? `; ${fieldRenameHint(o, PROBLEM_FIELDS)}`
        : `; "question" is ${describe(o.question)}`;
    throw new RolloutError(`${where}: needs "question" (string), "messages" or "promptIds"${found}`);
  }
  // A blank question (an empty cell exported from a sheet) would be sampled as the system turn alone.
  if (o.question.trim() === "") throw new RolloutError(`${where}: field "question" is empty`);
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
      out.push({ ...p, where });
      if (limit !== undefined && out.length >= limit) break;
    }
  if (out.length === 0) throw new RolloutError(`${file}: no problems in the file`);
  return out;
}

/**
 * A problem's own token ids must be the model's (`vocab` ids; 0: unknown, not checked), named by where the
 * problem was read (`file:line`, else `source[i]`) and its id: the generator's refusal named only `prompt "a"`,
 * and the CLI's then the file without the line.
 */
export function checkProblemPromptIds(
  problems: readonly ProblemPrompt[],
  vocab: number,
  source: string,
): void {
  if (vocab <= 0) return;
  for (const [n, p] of problems.entries()) {
    const i = p.promptIds?.findIndex((id) => id >= vocab) ?? -1;
    if (i >= 0)
      throw new RolloutError(
        `${p.where ?? `${source}[${n}]`}: problem "${p.id}": promptIds[${i}] is ${p.promptIds?.[i]}, not a token of the model (its vocabulary is ids 0 to ${vocab - 1}); were the ids made with another tokenizer?`,
      );
  }
}
