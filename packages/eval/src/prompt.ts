/**
 * The conversation each problem becomes. The chat template itself is applied by the generator (it owns the
 * tokenizer); eval decides the turns: the system prompt and the user's question, optionally wrapped in a template.
 */
import { MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import type { ChatMessage, Problem } from "./types.js";

/**
 * The paper's math-tutor system prompt (ends "You put your final answer within \boxed{} at the end of your
 * response."). Taken from @ssb/curation so that the student prompt curation trains on and the prompt eval tests
 * with cannot drift apart.
 */
export const DEFAULT_SYSTEM_PROMPT: string = MATH_TUTOR_SYSTEM_PROMPT;

/** The default user turn: the bare question, as the paper's student sees it. */
export const DEFAULT_USER_TEMPLATE = "{{question}}";

export interface PromptOptions {
  /** `null` sends no system turn (for models whose template adds its own). Default: DEFAULT_SYSTEM_PROMPT. */
  systemPrompt?: string | null;
  /** `{{question}}` is replaced by the problem text. Default: DEFAULT_USER_TEMPLATE. */
  userTemplate?: string;
}

/** The placeholder a user template must hold; one definition for buildMessages and the settings check. */
export function isUserTemplate(template: unknown): boolean {
  return typeof template === "string" && template.includes("{{question}}");
}

export function buildMessages(problem: Problem, options: PromptOptions = {}): ChatMessage[] {
  const system = options.systemPrompt === undefined ? DEFAULT_SYSTEM_PROMPT : options.systemPrompt;
  const template = options.userTemplate ?? DEFAULT_USER_TEMPLATE;
  if (!isUserTemplate(template)) {
    throw new Error(
      `user template must contain {{question}}, found ${JSON.stringify(template.slice(0, 80))}`,
    );
  }
  // split/join rather than replace(): a question containing `$&` must be inserted verbatim.
  const user = template.split("{{question}}").join(problem.question);
  const messages: ChatMessage[] = [];
  if (system !== null) messages.push({ role: "system", content: system });
  messages.push({ role: "user", content: user });
  return messages;
}
