/**
 * `teacher-prompts.jsonl` as @ssb/curation writes it: per kept problem, the teacher's chat and one request
 * (id and sampling, seed included) per allowed attempt. Read here so `ssb-rollout --teacher-prompts` can
 * generate the replies that `ssb-curate --teacher-replies` checks. Only the fields generation needs are read.
 */
import type { ChatMessage } from "@ssb/model";
import { checkPromptMessages } from "./chat-roles.js";
import { RolloutError } from "./errors.js";
import { jsonLines } from "./file-lines.js";
import { DEFAULT_SAMPLING, resolveSampling } from "./sampling-params.js";
import type { TeacherSamplingInput } from "./teacher-generator.js";
import { refuseUnknownKeys } from "./unknown-keys.js";

export interface TeacherPromptLine {
  problemId: string;
  messages: ChatMessage[];
  requests: { id: string; sampling: TeacherSamplingInput }[];
  /** Where the prompt was read (`file:line`), for the job's errors about it; `prompts[i]` when absent. */
  where?: string;
}

function fail(where: string, message: string): never {
  throw new RolloutError(`${where}: ${message}`);
}

function messagesOf(value: unknown, where: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0)
    fail(where, '"messages" must be a non-empty list of {role, content}');
  const messages = value.map((m, i) => {
    const o = m as Record<string, unknown>;
    if (typeof o?.role !== "string" || typeof o.content !== "string")
      fail(where, `messages[${i}] must have string "role" and "content"`);
    return { role: o.role, content: o.content };
  });
  checkPromptMessages(messages, where);
  return messages;
}

/** The keys of a request's sampling, as @ssb/curation's TeacherSampling writes them. */
const SAMPLING_KEYS = ["temperature", "topK", "topP", "maxNewTokens", "seed"] as const;

function samplingOf(value: unknown, where: string): TeacherSamplingInput {
  const o = value as Record<string, unknown>;
  if (typeof o !== "object" || o === null) fail(where, '"sampling" must be an object');
  // A hand-written or converted key (`top_p`, `max_new_tokens`) was ignored and the request sampled without it.
  refuseUnknownKeys(o, SAMPLING_KEYS, `${where}.sampling`);
  const num = (field: string, required: boolean): number | undefined => {
    const v = o[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(where, `"sampling.${field}" must be a number`);
    return v;
  };
  const sampling: TeacherSamplingInput = {
    temperature: num("temperature", true) as number,
    topK: num("topK", true) as number,
  };
  const topP = num("topP", false);
  if (topP !== undefined) sampling.topP = topP;
  const maxNewTokens = num("maxNewTokens", false);
  if (maxNewTokens !== undefined) sampling.maxNewTokens = maxNewTokens;
  const seed = num("seed", false);
  // Ranges as generation checks them, here where the line is known: a temperature of -1 was refused only once
  // the model had loaded, as `prompt "2#0" sampling: ...`, naming neither the file nor the line.
  // The seed too (-1 or 1.5 failed only at generation, naming the request alone).
  if (seed !== undefined) sampling.seed = seed;
  resolveSampling(sampling, DEFAULT_SAMPLING, `${where}.sampling`);
  return sampling;
}

/** Parse one line of teacher-prompts.jsonl. */
export function parseTeacherPromptLine(value: unknown, where: string): TeacherPromptLine {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(where, "expected a JSON object");
  const o = value as Record<string, unknown>;
  // A problems file given by mistake: say which flag it belongs to rather than which field it lacks.
  const problemLike = ["question", "id", "promptIds"].some((f) => o[f] !== undefined);
  if (o.problemId === undefined && o.requests === undefined && problemLike)
    fail(
      where,
      'this looks like a problems file ("id" / "question"), not teacher prompts (ssb-curate\'s teacher-prompts.jsonl has "problemId", "messages" and "requests"): use --problems FILE',
    );
  if (typeof o.problemId !== "string" || o.problemId === "")
    fail(where, '"problemId" must be a non-empty string');
  if (!Array.isArray(o.requests) || o.requests.length === 0)
    fail(where, '"requests" must be a non-empty list of {id, sampling} (is this a teacher-prompts.jsonl?)');
  const requests = o.requests.map((r, i) => {
    const req = r as Record<string, unknown>;
    if (typeof req?.id !== "string" || req.id === "")
      fail(where, `requests[${i}].id must be a non-empty string`);
    return { id: req.id, sampling: samplingOf(req.sampling, `${where}: requests[${i}]`) };
  });
  return { problemId: o.problemId, messages: messagesOf(o.messages, where), requests };
}

/**
 * Read a teacher-prompts.jsonl, line by line; request ids must be unique across the file (the part read).
 * With `limit`, reading stops after that many prompts: lines past it are not read at all.
 */
export function readTeacherPromptsFile(file: string, limit?: number): TeacherPromptLine[] {
  const out: TeacherPromptLine[] = [];
  const ids = new Map<string, string>(); // request id -> where it was first seen
  if (limit !== undefined && limit <= 0) throw new RolloutError(`${file}: no teacher prompts in the file`);
  for (const { value, where } of jsonLines(file, "teacher prompts", ["problemId"])) {
    const parsed = parseTeacherPromptLine(value, where);
    for (const r of parsed.requests) {
      const first = ids.get(r.id);
      if (first !== undefined) fail(where, `request id "${r.id}" appears twice (first at ${first})`);
      ids.set(r.id, where);
    }
    out.push({ ...parsed, where });
    if (limit !== undefined && out.length >= limit) break;
  }
  if (out.length === 0) throw new RolloutError(`${file}: no teacher prompts in the file`);
  return out;
}
