/**
 * The extra chat-template variables a run renders the student's prompts with (`chatTemplateKwargs`, as
 * transformers' `apply_chat_template(..., **kwargs)` and TRL's `chat_template_kwargs`; Qwen3's
 * `{"enable_thinking": false}` above all). Like the template's day (template-date.ts), they change every prompt,
 * so a run records them in the config its checkpoints save, and a resume renders the recorded ones: given none,
 * it keeps them; given others, it is refused (its first steps trained on other prompts). Recorded only when
 * non-empty, so runs without them save the configs they saved before, and an old checkpoint (no field) means
 * none.
 */
import path from "node:path";
import { type ChatTemplateKwargs, chatTemplateKwargsKey, sameChatTemplateKwargs } from "@ssb/model";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";

export interface ChatTemplateKwargsInputs {
  /** The setting as given (config field or --chat-template-kwargs); none or `{}`: none given. */
  given: ChatTemplateKwargs | undefined;
  /** The checkpoint a resume continues: its directory and its saved config's kwargs. Null: a fresh start. */
  resumed: { dir: string; kwargs: ChatTemplateKwargs | undefined } | null;
}

/**
 * Why a checkpoint saved with `saved` cannot be resumed given `now`, or null. `now` none (or `{}`) never
 * conflicts: the resume keeps the checkpoint's. The text names both values and what to do.
 */
export function chatTemplateKwargsConflict(
  saved: ChatTemplateKwargs | undefined,
  now: ChatTemplateKwargs | undefined,
): string | null {
  if (chatTemplateKwargsKey(now) === "" || sameChatTemplateKwargs(saved, now)) return null;
  const show = (kwargs: ChatTemplateKwargs | undefined): string =>
    chatTemplateKwargsKey(kwargs) === "" ? "(none)" : JSON.stringify(kwargs);
  return `chatTemplateKwargs: ${show(saved)} -> ${show(now)}, but the run's prompts rendered with ${show(saved)} so far: resume without chatTemplateKwargs (--chat-template-kwargs) to keep them, or train into another output folder`;
}

/** The kwargs this run renders and records (undefined: none, nothing recorded); see the file's comment. */
export function chooseChatTemplateKwargs(inputs: ChatTemplateKwargsInputs): ChatTemplateKwargs | undefined {
  const { given, resumed } = inputs;
  if (resumed !== null) {
    const conflict = chatTemplateKwargsConflict(resumed.kwargs, given);
    if (conflict !== null)
      throw new Error(
        `${path.join(resumed.dir, TRAINER_STATE_FILE)}: saved with other settings than now (${conflict}); refusing to resume`,
      );
    if (chatTemplateKwargsKey(given) === "")
      return chatTemplateKwargsKey(resumed.kwargs) === "" ? undefined : resumed.kwargs;
  }
  return chatTemplateKwargsKey(given) === "" ? undefined : given;
}
