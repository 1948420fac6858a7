/**
 * A TeacherGenerator backed by a JSONL file of replies produced elsewhere (e.g. by `ssb-rollout
 * --teacher-prompts` over teacher-prompts.jsonl with logit capture). Each line: {id, text, tokenIds,
 * finishReason, logitKey?, requestHash?, messagesHash?, teacher?}, where `id` is a request id from teacher-prompts.jsonl
 * (`<problemId>#<attempt>`). The two hashes, which ssb-rollout writes, let a reply be checked against the
 * request it answers: replies made for other prompts or other sampling are refused, not paired.
 */
import { createHash } from "node:crypto";
import { readJsonl } from "./jsonl.js";
import {
  asObject,
  optionalString,
  parseFinishReason,
  parseTokenIds,
  requireString,
} from "./parse-records.js";
import type { ChatMessage } from "./records.js";
import type {
  GenerationRequest,
  GenerationResult,
  TeacherGenerator,
  TeacherSampling,
} from "./teacher-generator.js";

export function parseGenerationResult(value: unknown, where: string): GenerationResult {
  const obj = asObject(value, where, "a teacher reply");
  const result: GenerationResult = {
    id: requireString(obj, "id", where),
    text: requireString(obj, "text", where),
    tokenIds: parseTokenIds(obj.tokenIds, where, "tokenIds"),
    finishReason: parseFinishReason(obj.finishReason, where),
  };
  const logitKey = optionalString(obj, "logitKey", where);
  if (logitKey !== undefined) result.logitKey = logitKey;
  return result;
}

const sha16 = (fields: unknown): string =>
  createHash("sha256").update(JSON.stringify(fields)).digest("hex").slice(0, 16);

/**
 * A reply record's `requestHash`: the request id and its own sampling in a fixed order, the first 16 hex
 * digits of the SHA-256 of JSON `[id, temperature, topK, topP|null, maxNewTokens|null, seed|null]`.
 */
export function teacherRequestHash(id: string, s: TeacherSampling): string {
  return sha16([id, s.temperature, s.topK, s.topP ?? null, s.maxNewTokens ?? null, s.seed ?? null]);
}

/**
 * A reply record's `messagesHash`: the prompt's messages as text, the first 16 hex digits of the SHA-256 of
 * JSON `[[role, content], ...]` (no tokenizer needed, so curation can check it).
 */
export function teacherMessagesHash(messages: readonly ChatMessage[]): string {
  return sha16(messages.map((m) => [m.role, m.content]));
}

interface StoredReply {
  reply: GenerationResult;
  where: string;
  /** 1-based line in the replies file. */
  line: number;
  requestHash?: string;
  messagesHash?: string;
}

/** Throws, naming the reply's line, when a hash it carries is not its request's. */
function checkReply(stored: StoredReply, request: GenerationRequest): void {
  const { where, reply } = stored;
  if (stored.messagesHash !== undefined && stored.messagesHash !== teacherMessagesHash(request.messages)) {
    throw new Error(
      `${where}: reply ${JSON.stringify(reply.id)} was generated for another prompt than this run's request of that id (the teacher prompts changed since: other rollouts, template or selection); generate the replies again from this run's teacher-prompts.jsonl`,
    );
  }
  if (
    stored.requestHash !== undefined &&
    stored.requestHash !== teacherRequestHash(reply.id, request.sampling)
  ) {
    throw new Error(
      `${where}: reply ${JSON.stringify(reply.id)} was sampled with other settings (temperature, top-k, top-p, max tokens or seed) than this run asks for; generate the replies again from this run's teacher-prompts.jsonl`,
    );
  }
}

/**
 * The replies' `teacher` field (what wrote them: @ssb/rollout writes its teacher generator's identity, the
 * model files' fingerprint and sampling), which becomes the generator's identity, so curation pins it in
 * run.json as it does a live generator's. Replies that carry one must all carry the same. Replies without
 * one are allowed beside them: ssb-rollout pins its model and sampling for the whole file, and a job begun by
 * a version that did not write the field gains it on resume.
 */
interface TeacherOfReplies {
  value: string;
  where: string;
}

function checkTeacher(
  seen: TeacherOfReplies | null,
  teacher: string | undefined,
  where: string,
): TeacherOfReplies | null {
  if (teacher === undefined) return seen;
  if (seen === null) return { value: teacher, where };
  if (seen.value !== teacher) {
    throw new Error(
      `${where}: this reply has teacher ${JSON.stringify(teacher)}, but ${seen.where} has teacher ${JSON.stringify(seen.value)}; one replies file must come from one teacher (generate the replies again, or curate each teacher's replies in its own folder)`,
    );
  }
  return seen;
}

/** How many of the file's unrequested replies a missing-reply error names (enough to recognise the file). */
const MAX_STRAY_NAMED = 3;

/**
 * The error for a request the file has no reply to. The request's id alone did not say what was wrong when
 * the file answers other prompts (another run's replies, or replies to an older teacher-prompts.jsonl): it
 * also names the file's replies no request of this run has asked for so far, the first few with their lines.
 */
function missingReplyError(
  path: string,
  id: string,
  replies: ReadonlyMap<string, StoredReply>,
  served: ReadonlySet<string>,
): Error {
  const stray = [...replies.values()].filter((stored) => !served.has(stored.reply.id));
  const named = stray
    .slice(0, MAX_STRAY_NAMED)
    .map((stored) => `${JSON.stringify(stored.reply.id)} (line ${stored.line})`)
    .join(", ");
  const more = stray.length > MAX_STRAY_NAMED ? ` and ${stray.length - MAX_STRAY_NAMED} more` : "";
  const held =
    replies.size === 0
      ? "the file holds no replies"
      : stray.length === 0
        ? `${replies.size === 1 ? "its one reply" : `each of its ${replies.size} replies`} was for another request of this run`
        : `it holds ${stray.length === 1 ? "a reply" : "replies"} this run has not asked for: ${named}${more}`;
  return new Error(
    `${path}: no reply with id ${JSON.stringify(id)} (${held}); generate one reply per request id listed in this run's teacher-prompts.jsonl`,
  );
}

export async function loadRepliesGenerator(path: string): Promise<TeacherGenerator> {
  const replies = new Map<string, StoredReply>();
  // Ids a request has asked for: what is left are the replies no request wanted (so far).
  const served = new Set<string>();
  let teacher: TeacherOfReplies | null = null;
  for await (const { value, where, line } of readJsonl(path)) {
    const reply = parseGenerationResult(value, where);
    if (replies.has(reply.id))
      throw new Error(`${where}: reply id ${JSON.stringify(reply.id)} appears twice`);
    const obj = value as Record<string, unknown>;
    const stored: StoredReply = { reply, where, line };
    const requestHash = optionalString(obj, "requestHash", where);
    const messagesHash = optionalString(obj, "messagesHash", where);
    if (requestHash !== undefined) stored.requestHash = requestHash;
    if (messagesHash !== undefined) stored.messagesHash = messagesHash;
    teacher = checkTeacher(teacher, optionalString(obj, "teacher", where), where);
    replies.set(reply.id, stored);
  }
  return {
    ...(teacher !== null ? { identity: teacher.value } : {}),
    async *generate(requests) {
      for (const request of requests) {
        const stored = replies.get(request.id);
        if (!stored) throw missingReplyError(path, request.id, replies, served);
        checkReply(stored, request);
        served.add(request.id);
        yield stored.reply;
      }
    },
  };
}
