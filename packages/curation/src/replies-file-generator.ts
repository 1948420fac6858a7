/**
 * A TeacherGenerator backed by a JSONL file of replies produced elsewhere (e.g. by `ssb rollout` run over
 * teacher-prompts.jsonl with logit capture). Each line: {id, text, tokenIds, finishReason, logitKey?}, where `id`
 * is a request id from teacher-prompts.jsonl (`<problemId>#<attempt>`).
 */
import { readJsonl } from "./jsonl.js";
import {
  asObject,
  optionalString,
  parseFinishReason,
  parseTokenIds,
  requireString,
} from "./parse-records.js";
import type { GenerationResult, TeacherGenerator } from "./teacher-generator.js";

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

export async function loadRepliesGenerator(path: string): Promise<TeacherGenerator> {
  const replies = new Map<string, GenerationResult>();
  for await (const { value, where } of readJsonl(path)) {
    const reply = parseGenerationResult(value, where);
    if (replies.has(reply.id))
      throw new Error(`${where}: reply id ${JSON.stringify(reply.id)} appears twice`);
    replies.set(reply.id, reply);
  }
  return {
    async *generate(requests) {
      for (const request of requests) {
        const reply = replies.get(request.id);
        if (!reply) {
          throw new Error(
            `${path}: no reply with id ${JSON.stringify(request.id)}; generate one reply per request id listed in teacher-prompts.jsonl`,
          );
        }
        yield reply;
      }
    },
  };
}
