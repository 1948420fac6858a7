/**
 * `--chat-template-kwargs '<JSON object>'` for `ssb-grpo train` and `eval`, and the CLI's warning about a kwarg
 * the model's chat template never reads (a misspelt `enable_thinkng` would otherwise leave Qwen3 thinking,
 * silently: templates ignore variables they do not mention, as transformers does).
 */
import { UsageError } from "@ssb/cli-kit";
import {
  type ChatTemplateKwargs,
  loadTokenizer,
  parseChatTemplateKwargs,
  unusedChatTemplateKwargs,
} from "@ssb/model";

export const CHAT_TEMPLATE_KWARGS_FLAG = "--chat-template-kwargs";

/** The flag's JSON text as kwargs; bad JSON or a bad name is a usage error naming the flag. */
export function chatTemplateKwargsFlag(text: string | undefined): ChatTemplateKwargs | undefined {
  if (text === undefined) return undefined;
  try {
    return parseChatTemplateKwargs(text, CHAT_TEMPLATE_KWARGS_FLAG);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * One warning line (or null) for the kwargs that `modelDir`'s chat template never names; `source` says where
 * they were given. Null too when the tokenizer cannot be read or has no template: the job then fails on that
 * itself, with its own message.
 */
export async function unusedKwargsWarning(
  modelDir: string,
  kwargs: ChatTemplateKwargs | undefined,
  source: string,
): Promise<string | null> {
  if (kwargs === undefined || Object.keys(kwargs).length === 0) return null;
  let template: string | undefined;
  try {
    template = (await loadTokenizer(modelDir)).chatTemplate?.source;
  } catch {
    return null;
  }
  if (template === undefined) return null;
  const unused = unusedChatTemplateKwargs(template, kwargs);
  if (unused.length === 0) return null;
  const names = unused.map((name) => JSON.stringify(name)).join(", ");
  return `ssb-grpo: warning: ${source}: the chat template of ${modelDir} never mentions ${names}, so ${unused.length === 1 ? "it changes" : "they change"} nothing in the prompts (misspelt?)`;
}
