/**
 * Chat templates: the Jinja program in `tokenizer_config.json` (or `chat_template.jinja`) that turns
 * messages into the model's prompt text, rendered with @huggingface/jinja the way transformers'
 * `apply_chat_template(..., tokenize=False)` renders it.
 */
import { Template } from "@huggingface/jinja";
import { refuseUnknownOptions } from "@ssb/cli-kit";
import { RESERVED_TEMPLATE_VARIABLES } from "./chat-template-kwargs.js";
import { describeValue, isJsonObject, ModelFileError } from "./json-fields.js";
import { strftime } from "./template-date.js";

export interface ChatMessage {
  /** "system", "user", "assistant" (or "tool"; templates decide what they accept). */
  role: string;
  content: string;
}

export interface RenderChatOptions {
  /** Append the opening of an assistant turn (`<|im_start|>assistant\n` in ChatML). Default false. */
  addGenerationPrompt?: boolean;
  /** Extra template variables (e.g. `enable_thinking`, `tools`), passed through unchanged. */
  variables?: Record<string, unknown>;
  /**
   * The time `strftime_now` reports to the template (default: now). Llama 3.1 / 3.2-Instruct write the day into
   * their system turn; a job pins it (see `parseTemplateDate`) so that its prompts stay the same across days.
   */
  now?: Date;
}

/** The special-token strings transformers passes to every chat template. */
export interface ChatTemplateTokens {
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  additionalSpecialTokens: string[];
}

export interface ChatTemplate {
  /** The Jinja source. */
  readonly source: string;
  render(messages: readonly ChatMessage[], options?: RenderChatOptions): string;
}

const NO_TOKENS: ChatTemplateTokens = {
  bosToken: null,
  eosToken: null,
  padToken: null,
  unkToken: null,
  additionalSpecialTokens: [],
};

/**
 * Parse a chat template once; `file` names it in errors. Rendering failures (including the
 * template's own `raise_exception`) are rethrown with the file named.
 */
export function compileChatTemplate(
  source: string,
  file = "chat template",
  tokens: ChatTemplateTokens = NO_TOKENS,
): ChatTemplate {
  let template: Template;
  try {
    // @huggingface/jinja declares its own strftime_now (today, in the machine's locale) before the caller's
    // variables and refuses to redeclare it, so the template calls ours under another name.
    template = new Template(source.replace(/\bstrftime_now\b/g, PINNED_STRFTIME));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(file, `chat_template does not parse (${reason})`);
  }
  return {
    source,
    render(messages, options = {}) {
      checkRenderInput(messages, options, file);
      try {
        return template.render({
          // Copies: the template runtime must not see (or keep) the caller's objects.
          messages: messages.map((m) => ({ ...m })),
          add_generation_prompt: options.addGenerationPrompt ?? false,
          bos_token: tokens.bosToken ?? "",
          eos_token: tokens.eosToken ?? "",
          pad_token: tokens.padToken ?? "",
          unk_token: tokens.unkToken ?? "",
          additional_special_tokens: tokens.additionalSpecialTokens,
          // Python's strftime in the C locale, as transformers' templates get it, at the pinned time.
          [PINNED_STRFTIME]: (format: unknown) => strftime(options.now ?? new Date(), String(format)),
          ...options.variables,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ModelFileError(file, `chat_template failed to render (${reason})`);
      }
    },
  };
}

const PINNED_STRFTIME = "ssb_strftime_now";

const RENDER_OPTIONS: readonly string[] = Object.keys({
  addGenerationPrompt: true,
  variables: true,
  now: true,
} satisfies Record<keyof RenderChatOptions, true>);

/**
 * Messages must be a list of { role, content } strings, and options only the known ones: a snake_case
 * `add_generation_prompt` (the template's own name) would otherwise be dropped and the prompt lack its
 * assistant turn without a word. Errors name the template's file.
 */
function checkRenderInput(messages: unknown, options: unknown, file: string): void {
  if (!Array.isArray(messages)) {
    throw new ModelFileError(
      file,
      `renderChat: messages must be an array of { role, content }, found ${describeValue(messages)}`,
    );
  }
  for (const [index, message] of messages.entries()) {
    if (!isJsonObject(message)) {
      throw new ModelFileError(
        file,
        `renderChat: messages[${index}] needs string "role" and "content", found ${describeValue(message)}`,
      );
    }
    // OpenAI's and transformers' tool-call turn: an assistant message with "tool_calls" and content null (as
    // JSON datasets hold it); the templates that render tool calls test the content before writing it.
    const toolCall = message.content === null && Array.isArray(message.tool_calls);
    if (typeof message.role !== "string" || (typeof message.content !== "string" && !toolCall)) {
      throw new ModelFileError(
        file,
        `renderChat: messages[${index}] needs string "role" and "content" (content may be null beside a ` +
          `"tool_calls" list), found role ${describeValue(message.role)} and content ${describeValue(message.content)}`,
      );
    }
  }
  if (!isJsonObject(options)) {
    throw new ModelFileError(file, `renderChat: options must be an object, found ${describeValue(options)}`);
  }
  refuseUnknownOptions(options, RENDER_OPTIONS, "renderChat", (m) => new ModelFileError(file, m));
  const variables = options.variables;
  if (variables !== undefined) {
    if (!isJsonObject(variables))
      throw new ModelFileError(
        file,
        `renderChat: options.variables must be an object, found ${describeValue(variables)}`,
      );
    // A variable named like one the renderer sets would silently replace the conversation or a special token.
    const reserved = Object.keys(variables).filter((name) => RESERVED_TEMPLATE_VARIABLES.includes(name));
    if (reserved.length > 0)
      throw new ModelFileError(
        file,
        `renderChat: options.variables may not set ${reserved.join(", ")} (the renderer sets them; use messages, addGenerationPrompt or now)`,
      );
  }
  const now = options.now;
  if (now !== undefined && !(now instanceof Date && Number.isFinite(now.getTime())))
    throw new ModelFileError(
      file,
      `renderChat: options.now must be a valid Date, found ${describeValue(now)}`,
    );
}

/** One-off render of a template string. */
export function renderChatTemplate(
  source: string,
  messages: readonly ChatMessage[],
  options: RenderChatOptions = {},
  tokens: ChatTemplateTokens = NO_TOKENS,
): string {
  return compileChatTemplate(source, "chat template", tokens).render(messages, options);
}
