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

export async function loadRepliesGenerator(path: string): Promise<TeacherGenerator> {
  const replies = new Map<string, StoredReply>();
  let teacher: TeacherOfReplies | null = null;
  for await (const { value, where } of readJsonl(path)) {
    const reply = parseGenerationResult(value, where);
    if (replies.has(reply.id))
      throw new Error(`${where}: reply id ${JSON.stringify(reply.id)} appears twice`);
    const obj = value as Record<string, unknown>;
    const stored: StoredReply = { reply, where };
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
        if (!stored) {
          throw new Error(
            `${path}: no reply with id ${JSON.stringify(request.id)}; generate one reply per request id listed in teacher-prompts.jsonl`,
          );
        }
        checkReply(stored, request);
        yield stored.reply;
      }
    },
  };
}
