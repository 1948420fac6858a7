/**
 * The extra chat-template variables a run renders the student's prompts with (`chatTemplateKwargs`, as
 * transformers' `apply_chat_template(..., **kwargs)` and TRL's `chat_template_kwargs`; Qwen3's
 * `{"enable_thinking": false}` above all). Like the template's day (template-date.ts), they change every prompt,
 * so a run records them in the config its checkpoints save, and a resume renders the recorded ones: given none,
 * it keeps them; given others, it is refused (its first steps trained on other prompts). `{}` given is an
 * explicit "none": it renders what no kwargs render, so it goes on where none were recorded, and is refused
 * where some were (as rollout, eval and `ssb run` refuse it), rather than silently keeping the recorded ones.
 * Recorded only when non-empty, so runs without them (or given `{}`) save the configs they saved before, and an
 * old checkpoint (no field) means none.
 */
import path from "node:path";
import { type ChatTemplateKwargs, chatTemplateKwargsKey, sameChatTemplateKwargs } from "@ssb/model";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";

export interface ChatTemplateKwargsInputs {
  /** The setting as given (config field or --chat-template-kwargs); undefined: not given, `{}`: none. */
  given: ChatTemplateKwargs | undefined;
  /** The checkpoint a resume continues: its directory and its saved config's kwargs. Null: a fresh start. */
  resumed: { dir: string; kwargs: ChatTemplateKwargs | undefined } | null;
}

/**
 * Why a checkpoint saved with `saved` cannot be resumed given `now`, or null. `now` not given never conflicts:
 * the resume keeps the checkpoint's. `{}` conflicts with recorded kwargs (it asks for prompts without them).
 * The text names both values and what to do.
 */
export function chatTemplateKwargsConflict(
  saved: ChatTemplateKwargs | undefined,
  now: ChatTemplateKwargs | undefined,
): string | null {
  if (now === undefined || sameChatTemplateKwargs(saved, now)) return null;
  const was = chatTemplateKwargsKey(saved) === "" ? "(none)" : JSON.stringify(saved);
  const asked = chatTemplateKwargsKey(now) === "" ? "{} (none)" : JSON.stringify(now);
  return `chatTemplateKwargs: ${was} -> ${asked}, but the run's prompts rendered with ${was} so far: resume without chatTemplateKwargs (--chat-template-kwargs) to keep them, or train into another output folder`;
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
    // Not given: the checkpoint's (none if it recorded none); `{}` reaches here only where none were recorded.
    if (given === undefined) return chatTemplateKwargsKey(resumed.kwargs) === "" ? undefined : resumed.kwargs;
  }
  return chatTemplateKwargsKey(given) === "" ? undefined : given;
}
