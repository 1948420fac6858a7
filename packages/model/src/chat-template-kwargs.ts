/**
 * Extra chat-template variables a job passes to every prompt it renders: transformers'
 * `apply_chat_template(..., **kwargs)`, vLLM's and TRL's `chat_template_kwargs`. The common one is Qwen3's
 * `{"enable_thinking": false}`. A job records them with its outputs (they change every prompt), so they must be
 * plain JSON, and they may not shadow the names the renderer itself gives the template.
 */
import { describeValue, isJsonObject, ModelFileError } from "./json-fields.js";

/** A JSON value, as a kwarg may hold it. */
export type ChatTemplateValue =
  | string
  | number
  | boolean
  | null
  | readonly ChatTemplateValue[]
  | { readonly [key: string]: ChatTemplateValue };

/** Template variables by name. */
export type ChatTemplateKwargs = Readonly<Record<string, ChatTemplateValue>>;

/**
 * Names the renderer sets (the conversation, the special tokens, the pinned clock): a kwarg of the same name
 * would replace them and change the prompt in ways no option says.
 */
export const RESERVED_TEMPLATE_VARIABLES: readonly string[] = [
  "messages",
  "add_generation_prompt",
  "bos_token",
  "eos_token",
  "pad_token",
  "unk_token",
  "additional_special_tokens",
  "strftime_now",
  "ssb_strftime_now",
  "raise_exception",
];

/** A Jinja template can only read a variable whose name is an identifier. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Check a parsed kwargs value (from a config file, a settings record or a library call). `source` names where it
 * came from (a file and field, or a flag) in the error.
 */
export function checkChatTemplateKwargs(value: unknown, source: string): ChatTemplateKwargs {
  if (!isJsonObject(value)) {
    throw new ModelFileError(
      source,
      `chat template kwargs must be a JSON object such as {"enable_thinking": false}, found ${describeValue(value)}`,
    );
  }
  for (const [name, item] of Object.entries(value)) {
    if (!IDENTIFIER.test(name)) {
      throw new ModelFileError(
        source,
        `chat template kwarg ${JSON.stringify(name)} is not a name a template can read (letters, digits and _, not starting with a digit)`,
      );
    }
    if (RESERVED_TEMPLATE_VARIABLES.includes(name)) {
      throw new ModelFileError(
        source,
        `chat template kwarg "${name}" is set by the renderer itself (${RESERVED_TEMPLATE_VARIABLES.join(", ")}); use the job's own option for it`,
      );
    }
    const problem = jsonProblem(item, name);
    if (problem !== null) throw new ModelFileError(source, `chat template kwarg ${problem}`);
  }
  return value as ChatTemplateKwargs;
}

/** Parse a flag's text (`--chat-template-kwargs '{"enable_thinking": false}'`); `source` names the flag. */
export function parseChatTemplateKwargs(text: string, source: string): ChatTemplateKwargs {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(
      source,
      `chat template kwargs are not JSON (${reason}); write an object such as '{"enable_thinking": false}'`,
    );
  }
  return checkChatTemplateKwargs(value, source);
}

/**
 * One string per set of kwargs, the same whatever the key order: what a job compares on resume and records in an
 * identity. `{}` and no kwargs at all give "" (a job without kwargs records nothing, so its files stay as before).
 */
export function chatTemplateKwargsKey(kwargs: ChatTemplateKwargs | null | undefined): string {
  if (kwargs === null || kwargs === undefined || Object.keys(kwargs).length === 0) return "";
  return canonicalJson(kwargs);
}

/** Whether two sets of kwargs render the same prompts (key order aside). */
export function sameChatTemplateKwargs(
  a: ChatTemplateKwargs | null | undefined,
  b: ChatTemplateKwargs | null | undefined,
): boolean {
  return chatTemplateKwargsKey(a) === chatTemplateKwargsKey(b);
}

/**
 * The kwargs the template's source never names: passing them changes nothing (transformers accepts them
 * silently); a job can warn, since a misspelt `enable_thinkng` would otherwise leave thinking on unnoticed.
 */
export function unusedChatTemplateKwargs(
  source: string,
  kwargs: ChatTemplateKwargs | null | undefined,
): string[] {
  if (kwargs === null || kwargs === undefined) return [];
  return Object.keys(kwargs).filter((name) => !new RegExp(`\\b${name}\\b`).test(source));
}

function jsonProblem(value: unknown, path: string): string | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number")
    return Number.isFinite(value) ? null : `${path} is ${value}, not a JSON number`;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = jsonProblem(item, `${path}[${index}]`);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(item, `${path}.${key}`);
      if (problem !== null) return problem;
    }
    return null;
  }
  // describeValue prints JSON; a function or a symbol has none.
  const found = value === undefined ? describeValue(value) : typeof value;
  return `${path} is ${found}, not a JSON value`;
}

function canonicalJson(value: ChatTemplateValue): string {
  if (Array.isArray(value))
    return `[${value.map((item: ChatTemplateValue) => canonicalJson(item)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) =>
          `${JSON.stringify(key)}:${canonicalJson((value as Record<string, ChatTemplateValue>)[key] as ChatTemplateValue)}`,
      );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}
