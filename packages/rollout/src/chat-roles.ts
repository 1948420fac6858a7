/**
 * The chat messages a prompt may hold: the roles chat templates know, ending with the turn the reply answers.
 * Checked where a problems or teacher-prompts line is read (naming file:line) and again where any prompt is
 * rendered (Generator.encodePrompt, naming the prompt's id), so a library caller gets the same refusal.
 */
import { closestKey } from "@ssb/cli-kit";
import type { ChatMessage } from "@ssb/model";
import { RolloutError } from "./errors.js";

/** The roles chat templates render (Qwen2.5's writes "tool" as a <tool_response> inside a user turn). */
export const CHAT_ROLES = ["system", "user", "assistant", "tool"] as const;

/**
 * Roles some families' own templates render besides CHAT_ROLES: Llama 3.1's "ipython" (a tool result), OpenAI
 * and gpt-oss's "developer", older function-calling data's "function". A file reader lets them through; where
 * the prompt is rendered they must be named by the model's template (a quoted literal), else refused.
 */
const TEMPLATE_ROLES = ["ipython", "developer", "function"] as const;

/** Roles a reply can answer as the last turn: a user turn or a tool result. */
const ANSWERABLE_ROLES = new Set(["user", "tool", "ipython", "function"]);

/** Whether a chat template names `role` as a quoted literal (`message.role == 'ipython'`). */
function templateNamesRole(source: string, role: string): boolean {
  return source.includes(`'${role}'`) || source.includes(`"${role}"`);
}

/**
 * Other datasets' and APIs' names for those roles, which edit distance would not find: ShareGPT's
 * human / gpt, Gemma's model, OpenAI's developer, Llama 3.1's ipython (its template renders "tool" as it).
 */
const ROLE_ALIASES: Record<string, string> = {
  human: "user",
  gpt: "assistant",
  bot: "assistant",
  model: "assistant",
  developer: "system",
  ipython: "tool",
  function: "tool",
};

/** The valid role a wrong one most likely meant, or undefined. */
function closestRole(role: string): string | undefined {
  return ROLE_ALIASES[role.toLowerCase()] ?? closestKey(role, CHAT_ROLES);
}

/**
 * Throw, naming `where`, when a message's role is not one of CHAT_ROLES or when the last message is not a
 * user turn (or a tool result, which the assistant answers next). An unknown role was rendered as the template
 * pleased (Qwen2.5's drops the turn without a word); a last assistant turn (SFT data: prompt and reply) was
 * rendered whole and then a new generation prompt added, so the reply was sampled after the answer.
 * Non-lists are left to the renderer, which names them.
 */
export function checkPromptMessages(
  messages: readonly ChatMessage[],
  where: string,
  templateSource?: string,
): void {
  if (!Array.isArray(messages)) return;
  // Without the template (a file read before the model is), the other families' roles wait for the render.
  const known = (role: string): boolean =>
    (CHAT_ROLES as readonly string[]).includes(role) ||
    ((TEMPLATE_ROLES as readonly string[]).includes(role) &&
      (templateSource === undefined || templateNamesRole(templateSource, role)));
  for (const [i, m] of messages.entries()) {
    const role = (m as { role?: unknown } | null)?.role;
    if (typeof role !== "string" || known(role)) continue;
    const valid = [...CHAT_ROLES, ...TEMPLATE_ROLES.filter(known)].map((r) => `"${r}"`).join(", ");
    const near = closestRole(role);
    const family = (TEMPLATE_ROLES as readonly string[]).includes(role)
      ? "; the model's chat template never names it"
      : "";
    throw new RolloutError(
      `${where}: messages[${i}] has role ${JSON.stringify(role)}, not one of ${valid}${near ? ` (did you mean "${near}"?)` : ""}${family}; chat templates render other roles as they please (Qwen2.5's drops the turn)`,
    );
  }
  const last = messages.length - 1;
  const role = (messages[last] as { role?: unknown } | undefined)?.role;
  if (last < 0 || (typeof role === "string" && ANSWERABLE_ROLES.has(role))) return;
  const sft =
    role === "assistant"
      ? ": a prompt with its answer (SFT data?) would be sampled after a finished assistant turn and a new generation prompt. Drop the last message to sample replies to the turn before it; continuing the assistant's message (transformers' continue_final_message) is not supported"
      : "; a reply to it would answer no user turn";
  throw new RolloutError(
    `${where}: the last message (messages[${last}]) is ${role === "assistant" ? "an" : "a"} ${role} turn; it must be a user turn (or a tool result), the turn the sampled reply answers${sft}`,
  );
}
